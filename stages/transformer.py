"""The quantized attention model of the FINN-T study, built with PyTorch + Brevitas.

One configuration (params.yaml `model`) gives `num_layers` encoder blocks, each a scaled
dot-product attention (explicit Q/K/V projections, MatMul-Softmax-MatMul, output projection) and a
two-layer MLP, with every tensor FINN sees quantized to `bits`. The attention is spelled out instead
of using a fused MultiheadAttention so the exported QONNX has the MatMul/Softmax pattern FINN's
attention transformations look for.
"""
import math

import torch
from torch import nn
from brevitas.nn import QuantIdentity, QuantLinear, QuantReLU

NORMS = ("none", "batch-norm", "layer-norm")
MASKS = ("none", "causal")
POSITIONAL = ("none", "binary", "sinusoidal", "learned")


def check_config(cfg):
    problems = []
    if cfg["emb_dim"] % cfg["num_heads"] != 0:
        problems.append(f"emb_dim {cfg['emb_dim']} is not divisible by num_heads {cfg['num_heads']}")
    for key, allowed in (("norm", NORMS), ("mask", MASKS), ("positional_encoding", POSITIONAL)):
        if cfg[key] not in allowed:
            problems.append(f"{key} must be one of {', '.join(allowed)}, got {cfg[key]!r}")
    for key in ("num_heads", "num_layers", "emb_dim", "mlp_dim", "seq_len", "bits"):
        if int(cfg[key]) < 1:
            problems.append(f"{key} must be at least 1, got {cfg[key]}")
    return problems


def _quant(bits):
    return QuantIdentity(bit_width=bits, return_quant_tensor=False)


def _norm(kind, dim):
    if kind == "layer-norm":
        return nn.LayerNorm(dim)
    if kind == "batch-norm":
        return nn.BatchNorm1d(dim)
    return nn.Identity()


def _positional_table(kind, seq_len, emb_dim):
    """Binary: each position's index in binary, as +-1, repeated over the embedding."""
    if kind == "binary":
        width = max(1, math.ceil(math.log2(max(seq_len, 2))))
        rows = [[1.0 if (pos >> (i % width)) & 1 else -1.0 for i in range(emb_dim)] for pos in range(seq_len)]
        return torch.tensor(rows)
    if kind == "sinusoidal":
        rows = []
        for pos in range(seq_len):
            row = []
            for i in range(emb_dim):
                angle = pos / (10000 ** ((i - i % 2) / emb_dim))
                row.append(math.sin(angle) if i % 2 == 0 else math.cos(angle))
            rows.append(row)
        return torch.tensor(rows)
    return None


class ScaledDotProductAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        emb, bits, bias = cfg["emb_dim"], cfg["bits"], cfg["bias"]
        self.num_heads = cfg["num_heads"]
        self.head_dim = emb // self.num_heads
        self.q = QuantLinear(emb, emb, bias=bias, weight_bit_width=bits)
        self.k = QuantLinear(emb, emb, bias=bias, weight_bit_width=bits)
        self.v = QuantLinear(emb, emb, bias=bias, weight_bit_width=bits)
        self.o = QuantLinear(emb, emb, bias=bias, weight_bit_width=bits)
        self.q_quant, self.k_quant, self.v_quant = _quant(bits), _quant(bits), _quant(bits)
        self.attn_quant, self.out_quant = _quant(bits), _quant(bits)
        self.causal = cfg["mask"] == "causal"
        self.seq_len = cfg["seq_len"]

    def _heads(self, x):
        batch, seq, _ = x.shape
        return x.reshape(batch, seq, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x):
        q = self._heads(self.q_quant(self.q(x)))
        k = self._heads(self.k_quant(self.k(x)))
        v = self._heads(self.v_quant(self.v(x)))
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        if self.causal:
            rows = [[0.0 if j <= i else -math.inf for j in range(self.seq_len)] for i in range(self.seq_len)]
            scores = scores + torch.tensor(rows)
        attn = self.attn_quant(torch.softmax(scores, dim=-1))
        out = torch.matmul(attn, v).transpose(1, 2)
        batch, seq = out.shape[0], out.shape[1]
        return self.out_quant(self.o(out.reshape(batch, seq, self.num_heads * self.head_dim)))


class EncoderBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        bits = cfg["bits"]
        self.attention = ScaledDotProductAttention(cfg)
        self.norm1 = _norm(cfg["norm"], cfg["emb_dim"])
        self.mlp = nn.Sequential(
            QuantLinear(cfg["emb_dim"], cfg["mlp_dim"], bias=cfg["bias"], weight_bit_width=bits),
            QuantReLU(bit_width=bits),
            QuantLinear(cfg["mlp_dim"], cfg["emb_dim"], bias=cfg["bias"], weight_bit_width=bits),
        )
        self.norm2 = _norm(cfg["norm"], cfg["emb_dim"])
        self.residual1, self.residual2 = _quant(bits), _quant(bits)

    def forward(self, x):
        x = self.residual1(x + self.attention(self.norm1(x)))
        return self.residual2(x + self.mlp(self.norm2(x)))


class DummyTransformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        self.input_quant = _quant(cfg["bits"])
        table = _positional_table(cfg["positional_encoding"], cfg["seq_len"], cfg["emb_dim"])
        if cfg["positional_encoding"] == "learned":
            self.positional = nn.Parameter(torch.randn(cfg["seq_len"], cfg["emb_dim"]))
        else:
            self.positional = table
        self.pos_quant = _quant(cfg["bits"])
        self.blocks = nn.Sequential(*[EncoderBlock(cfg) for _ in range(cfg["num_layers"])])

    def forward(self, x):
        x = self.input_quant(x)
        if self.positional is not None:
            x = self.pos_quant(x + self.positional)
        return self.blocks(x)
