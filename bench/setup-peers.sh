#!/usr/bin/env bash
# Installs the peers bench/peers.mjs compares against: GNU make and Snakemake (Debian's package,
# 7.21 on Debian 12), and GNU time for bench/ab.mjs. Idempotent; run as root.
set -euo pipefail
need=()
command -v make >/dev/null || need+=(make)
command -v snakemake >/dev/null || need+=(snakemake)
[ -x /usr/bin/time ] || need+=(time)
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
echo "make: $(make --version | head -1); snakemake: $(snakemake --version)"
