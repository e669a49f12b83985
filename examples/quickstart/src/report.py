"""Collects the per-bit-width reports into a Markdown table."""
import json
import os
import sys

src, out = sys.argv[1], sys.argv[2]
rows = []
for name in sorted(os.listdir(src), key=lambda n: int(n.split(".")[0])):
    with open(os.path.join(src, name)) as f:
        r = json.load(f)
    rows.append(f"| {r['bits']} | {r['LUT']} | {r['BRAM_18K']} | {r['DSP']} |")
with open(out, "w") as f:
    f.write("| bits | LUT | BRAM_18K | DSP |\n|---|---|---|---|\n" + "\n".join(rows) + "\n")
print(open(out).read())
