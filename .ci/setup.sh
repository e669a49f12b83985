#!/usr/bin/env bash
# Test set-up beyond npm: makes a Docker engine answer and builds the images the Docker tests use. Idempotent: an engine that
# already answers is used as is, images that exist are not rebuilt. No registry is reachable here
# (../shared/ENVIRONMENT.md): images are imported from locally built root filesystems, never pulled.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

log_dir=${ORCHESTRATOR_CI_LOGS:-/tmp/orchestrator-ci}
mkdir -p "$log_dir"

if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    echo "== installing docker.io"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq docker.io >"$log_dir/apt-docker.log" 2>&1 || { cat "$log_dir/apt-docker.log"; exit 1; }
  fi
  echo "== starting dockerd (log: $log_dir/dockerd.log)"
  # Packages never start services here (policy-rc.d), so start the daemon ourselves, detached from
  # this shell so it outlives the CI step.
  setsid dockerd >"$log_dir/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 120); do
    docker info >/dev/null 2>&1 && break
    sleep 0.25
  done
  if ! docker info >/dev/null 2>&1; then
    echo "error: dockerd did not answer within 30 s; its log follows" >&2
    tail -n 50 "$log_dir/dockerd.log" >&2 || true
    exit 1
  fi
fi
echo "== docker engine $(docker version --format '{{.Server.Version}}')"

test/images/build.sh
echo "== docker setup done in $(( $(date +%s) - started )) s"
