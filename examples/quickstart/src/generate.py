"""Writes a few deterministic data files (stand-in for a dataset preparation step)."""
import argparse
import os
import random

p = argparse.ArgumentParser()
p.add_argument("--seed", type=int, required=True)
p.add_argument("--out", required=True)
a = p.parse_args()
random.seed(a.seed)
os.makedirs(a.out, exist_ok=True)
for i in range(4):
    with open(os.path.join(a.out, f"part-{i}.csv"), "w") as f:
        f.writelines(f"{random.random():.6f}\n" for _ in range(100))
