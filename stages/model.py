"""Stage `model`: build the quantized transformer from params.yaml `model` and calibrate it.

Writes <out>/model.pt (configuration + calibrated state dict) and <out>/model.json (the
configuration, for humans and for the export stage's sanity check).
"""
import argparse
import json
import os
import sys


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--num_heads", type=int, required=True)
    p.add_argument("--num_layers", type=int, required=True)
    p.add_argument("--emb_dim", type=int, required=True)
    p.add_argument("--mlp_dim", type=int, required=True)
    p.add_argument("--seq_len", type=int, required=True)
    p.add_argument("--bits", type=int, required=True)
    p.add_argument("--bias", action="store_true")
    p.add_argument("--norm", default="none")
    p.add_argument("--mask", default="none")
    p.add_argument("--positional_encoding", default="none")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--calibration_passes", type=int, required=True)
    p.add_argument("--out", required=True)
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    import torch
    from brevitas.graph.calibrate import calibration_mode
    from transformer import DummyTransformer, check_config

    cfg = {k: getattr(args, k) for k in ("num_heads", "num_layers", "emb_dim", "mlp_dim", "seq_len", "bits", "bias", "norm", "mask", "positional_encoding")}
    problems = check_config(cfg)
    if problems:
        for problem in problems:
            print(f"model: {problem}", file=sys.stderr)
        return 2
    torch.manual_seed(args.seed)
    model = DummyTransformer(cfg)
    # Calibration sets the activation quantizers' scales from data before export.
    model.eval()
    with torch.no_grad(), calibration_mode(model):
        for _ in range(args.calibration_passes):
            model(torch.randn(1, cfg["seq_len"], cfg["emb_dim"]))
    os.makedirs(args.out, exist_ok=True)
    torch.save({"config": cfg, "seed": args.seed, "state_dict": model.state_dict()}, os.path.join(args.out, "model.pt"))
    with open(os.path.join(args.out, "model.json"), "w") as f:
        json.dump({"config": cfg, "seed": args.seed, "calibration_passes": args.calibration_passes}, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"model: {cfg} -> {args.out}/model.pt")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
