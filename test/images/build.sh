#!/usr/bin/env bash
# Builds the images the Docker tests (and the FINN stand-in tests) use, without a registry:
#   orchestrator-test/busybox:1  busybox-static root filesystem, `docker import` (2 MB, < 1 s)
#   orchestrator-test/python:1   debootstrap minbase bookworm + python3 + python3-numpy (~30 s)
# Idempotent: an image that exists is skipped. Needs root (debootstrap, chroot) and a working engine.
set -euo pipefail

have_image() { docker image inspect "$1" >/dev/null 2>&1; }
need_packages() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; exit 1; }
  fi
}

work=$(mktemp -d /tmp/orchestrator-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! have_image orchestrator-test/busybox:1; then
  echo "== building orchestrator-test/busybox:1"
  need_packages busybox-static
  root="$work/busybox"
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  tar -C "$root" -c . | docker import - orchestrator-test/busybox:1 >/dev/null
fi

if ! have_image orchestrator-test/python:1; then
  echo "== building orchestrator-test/python:1"
  need_packages debootstrap
  root="$work/python"
  debootstrap --variant=minbase bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log"; exit 1; }
  # The host's apt proxy/mirror settings apply inside the chroot too.
  cp /etc/apt/apt.conf.d/99* "$root/etc/apt/apt.conf.d/" 2>/dev/null || true
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  chroot "$root" /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-numpy && apt-get clean && rm -rf /var/lib/apt/lists/*' \
    >"$work/chroot-apt.log" 2>&1 || { tail -n 30 "$work/chroot-apt.log"; exit 1; }
  tar -C "$root" --exclude=./proc/* --exclude=./sys/* --exclude=./dev/* -c . |
    docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - orchestrator-test/python:1 >/dev/null
fi
