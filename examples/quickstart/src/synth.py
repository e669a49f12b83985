"""Stand-in for synthesis: derives FINN-like resource numbers from the model size and bit width."""
import argparse
import json
import os

p = argparse.ArgumentParser()
p.add_argument("--bits", type=int, required=True)
p.add_argument("--model", required=True)
p.add_argument("--out", required=True)
a = p.parse_args()
with open(a.model) as f:
    m = json.load(f)
weights = m["heads"] * m["emb_dim"] * m["emb_dim"] * 4
os.makedirs(os.path.dirname(a.out), exist_ok=True)
with open(a.out, "w") as f:
    json.dump({"bits": a.bits, "LUT": weights * a.bits // 8, "BRAM_18K": max(1, weights * a.bits // 18432), "DSP": 0}, f, indent=2)
