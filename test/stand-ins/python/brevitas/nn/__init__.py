"""STAND-IN for brevitas.nn (tests only): quantized layers that track shapes and bit widths."""
import torch
from torch import nn


class _QuantAct(nn.Module):
    op = "QuantIdentity"

    def __init__(self, bit_width=8, return_quant_tensor=False, **kwargs):
        super().__init__()
        self.bit_width = int(bit_width)
        self.calibrated_batches = 0

    def _buffers(self):
        # Stands in for the activation scale statistics calibration collects.
        return {"act_quant.scale": round(1.0 / (1 + self.calibrated_batches), 6)}

    def _load_buffers(self, prefix, state):
        key = f"{prefix}.act_quant.scale" if prefix else "act_quant.scale"
        scale = state[key]
        self.calibrated_batches = round(1.0 / scale - 1)

    def forward(self, x):
        if getattr(nn, "_calibrating", False):
            self.calibrated_batches += 1
        torch._record("Quant", source=self.op, bit_width=self.bit_width, shape=list(x.shape))
        return torch.Tensor(x.shape)


class QuantIdentity(_QuantAct):
    op = "QuantIdentity"


class QuantReLU(_QuantAct):
    op = "QuantReLU"


class QuantLinear(nn.Module):
    def __init__(self, in_features, out_features, bias=True, weight_bit_width=8, **kwargs):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight_bit_width = int(weight_bit_width)
        self.weight = nn.Parameter(torch.randn(out_features, in_features))
        if bias:
            self.bias = nn.Parameter(torch.randn(out_features))

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise RuntimeError(f"QuantLinear: input has {x.shape[-1]} features, expected {self.in_features}")
        torch._record("QuantLinear", MW=self.in_features, MH=self.out_features, weight_bit_width=self.weight_bit_width, bias="bias" in self._params)
        return torch.Tensor(x.shape[:-1] + (self.out_features,))
