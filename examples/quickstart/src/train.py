"""Stand-in for model generation: records its hyperparameters and a checksum of the data."""
import argparse
import hashlib
import json
import os

p = argparse.ArgumentParser()
p.add_argument("--heads", type=int, required=True)
p.add_argument("--emb_dim", type=int, required=True)
p.add_argument("--data", required=True)
p.add_argument("--out", required=True)
a = p.parse_args()
digest = hashlib.sha256()
for name in sorted(os.listdir(a.data)):
    with open(os.path.join(a.data, name), "rb") as f:
        digest.update(f.read())
with open(a.out, "w") as f:
    json.dump({"heads": a.heads, "emb_dim": a.emb_dim, "data": digest.hexdigest()[:12]}, f, indent=2)
