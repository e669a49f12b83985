"""Stage `export`: QONNX export of the calibrated model, plus a verification input/output pair.

Writes <out>/model.onnx (Brevitas export_qonnx, then qonnx cleanup), <out>/inp.npy (1, seq_len,
emb_dim float32) and <out>/out.npy (the PyTorch model's output for it), which FINN's verification
steps can compare against.
"""
import argparse
import os
import sys


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", required=True, help="model.pt from the model stage")
    p.add_argument("--opset_version", type=int, default=14)
    p.add_argument("--do_constant_folding", action="store_true")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    import numpy as np
    import torch
    from brevitas.export import export_qonnx
    from qonnx.util.cleanup import cleanup
    from transformer import DummyTransformer

    saved = torch.load(args.model)
    cfg = saved["config"]
    model = DummyTransformer(cfg)
    model.load_state_dict(saved["state_dict"])
    model.eval()
    torch.manual_seed(args.seed)
    inp = torch.randn(1, cfg["seq_len"], cfg["emb_dim"])
    with torch.no_grad():
        out = model(inp)
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    export_qonnx(model, args=inp, export_path=onnx_path, opset_version=args.opset_version, do_constant_folding=args.do_constant_folding)
    cleanup(onnx_path, out_file=onnx_path)
    np.save(os.path.join(args.out, "inp.npy"), inp.detach().numpy().astype(np.float32))
    np.save(os.path.join(args.out, "out.npy"), out.detach().numpy().astype(np.float32))
    print(f"export: {onnx_path} (opset {args.opset_version})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
