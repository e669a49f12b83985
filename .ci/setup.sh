#!/usr/bin/env bash
# Test set-up beyond npm: makes a Docker engine answer and builds the images the Docker tests use, then
# makes a single-node Slurm cluster answer for the Slurm tests. Idempotent: an engine that
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

# --- Slurm: a single-node cluster (slurmctld + slurmd on this machine, munge auth, no accounting DB).
# Recipe from ../shared/ENVIRONMENT.md. No systemd here: the daemons are started directly and found
# again by their pid files. A cluster that already answers with an idle node is used as is.
slurm_started=$(date +%s)
# sinfo retries for about 10 s when no controller answers; 3 s is plenty for a local one.
slurm_ready() { [ "$(timeout 3 sinfo -h -N -o %T 2>/dev/null | head -n 1)" = idle ]; }
# RealMemory: what the machine has minus 1 GiB headroom for the OS and the orchestrator itself.
slurm_mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
slurm_conf=$(cat <<CONF
# Written by orchestrator's .ci/setup.sh: a single-node test cluster.
ClusterName=orchestrator-ci
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
MailProg=/bin/true
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$log_dir/slurmctld.log
SlurmdLogFile=$log_dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
# Cores and memory are consumed, but the partition lets up to 16 jobs share a core: the tests' jobs
# are tiny, and on a 2-core CI machine they would otherwise run two at a time. Each job gets 256 MB
# unless it asks for more (resources.mem_gb -> --mem).
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$log_dir/slurm-jobcomp.log
SchedulerParameters=batch_sched_delay=0
# Finished jobs stay visible to scontrol show job for 10 minutes (there is no accounting database).
MinJobAge=600
# Time limits are whole minutes; a job over its limit is killed at once (KillWait after SIGTERM).
OverTimeLimit=0
KillWait=5
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$slurm_mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:16
CONF
)
if ! slurm_ready || [ "$(cat /etc/slurm/slurm.conf 2>/dev/null)" != "$slurm_conf" ]; then
  if ! command -v slurmctld >/dev/null 2>&1 || ! command -v slurmd >/dev/null 2>&1 || ! command -v sinfo >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    echo "== installing slurmctld slurmd slurm-client munge"
    export DEBIAN_FRONTEND=noninteractive
    slurm_pkgs=(slurmctld slurmd slurm-client munge)
    apt-get install -y -qq --no-install-recommends "${slurm_pkgs[@]}" >"$log_dir/apt-slurm.log" 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${slurm_pkgs[@]}" >>"$log_dir/apt-slurm.log" 2>&1; } \
      || { cat "$log_dir/apt-slurm.log"; exit 1; }
  fi

  # munge: the key is made by the package; the daemon runs as user munge with its socket in /run/munge.
  if [ ! -s /etc/munge/munge.key ]; then runuser -u munge -- mungekey --create >/dev/null; fi
  mkdir -p /run/munge && chown munge:munge /run/munge && chmod 0755 /run/munge
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    rm -f /run/munge/munged.pid
    runuser -u munge -- munged
    for _ in $(seq 1 40); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
    munge -n | unmunge >/dev/null || { echo "error: munged does not answer" >&2; exit 1; }
  fi

  # Stop daemons of an earlier bring-up (by pid file only) so the configuration below takes effect.
  for pidfile in /run/slurmctld.pid /run/slurmd.pid; do
    if [ -s "$pidfile" ]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile"
  done

  mkdir -p /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd
  printf '%s\n' "$slurm_conf" >/etc/slurm/slurm.conf

  echo "== starting slurmctld and slurmd (logs: $log_dir/slurmctld.log, $log_dir/slurmd.log)"
  # -c: ignore state saved by an earlier bring-up (jobs of dead test runs, an old node config).
  slurmctld -c
  slurmd -N localhost
  deadline=$(( $(date +%s) + 30 ))
  until slurm_ready || [ "$(date +%s)" -ge "$deadline" ] || ! kill -0 "$(cat /run/slurmctld.pid 2>/dev/null || echo 0)" 2>/dev/null; do sleep 0.2; done
  if ! slurm_ready; then
    echo "error: the Slurm node is not idle (within 30 s, or slurmctld exited) (sinfo: $(sinfo -h -N -o %T 2>&1 | head -n 1)); daemon logs follow" >&2
    tail -n 30 "$log_dir/slurmctld.log" "$log_dir/slurmd.log" >&2 || true
    exit 1
  fi
fi
echo "== slurm $(sinfo --version | awk '{print $2}'): node $(sinfo -h -N -o '%N %T %c CPUs %m MB'), up in $(( $(date +%s) - slurm_started )) s"

# --- ONNX inspection (issue 19) and the HTML pages (plots, report, drawn graphs): Debian's python3-onnx and python3-numpy build the test models
# (/usr/bin/python3 only; ../shared/ENVIRONMENT.md), Debian's chromium renders the drawn graph for the
# browser test (driven by the playwright-core dev dependency; no browser download). Idempotent.
onnx_missing=()
/usr/bin/python3 -c 'import onnx, numpy' >/dev/null 2>&1 || onnx_missing+=(python3-onnx python3-numpy)
[ -x /usr/bin/chromium ] || onnx_missing+=(chromium)
if [ ${#onnx_missing[@]} -gt 0 ]; then
  echo "== installing ${onnx_missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${onnx_missing[@]}" >"$log_dir/apt-onnx.log" 2>&1 || { cat "$log_dir/apt-onnx.log"; exit 1; }
fi
echo "== python3-onnx $(/usr/bin/python3 -c 'import onnx; print(onnx.__version__)'), $(/usr/bin/chromium --version 2>/dev/null | head -n 1)"

# --- Shared cache (issue 16): two Unix users of one group, for the test that runs the CLI as each of
# them on one cache.dir (test/integration/shared-cache.test.ts). Idempotent: existing ones are kept.
getent group orch-share >/dev/null || groupadd orch-share
for u in orch-u1 orch-u2; do
  # Each with its own primary group, orch-share only as a supplementary one (as in a research group), so
  # the setgid folders, not the primary group, decide the group of what they write.
  id -u "$u" >/dev/null 2>&1 || useradd --no-create-home --user-group --groups orch-share --shell /usr/sbin/nologin "$u"
done
echo "== shared cache users: $(id orch-u1), $(id orch-u2)"

# --- Remote storage (S3, SSH) tests and benchmark: programs only. The tests start their own servers
# per test file on free ports of 127.0.0.1 (test/cache/remote/servers.ts): s3rver from node_modules
# (devDependency, pinned 3.7.1) and a private `sshd -D -f CONFIG` with host and user keys generated
# by ssh-keygen, so nothing here needs to stay running or be cleaned up. rclone is the peer that
# bench/remote.mjs measures push and pull against.
remote_pkgs=()
[ -x /usr/sbin/sshd ] || remote_pkgs+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || remote_pkgs+=(openssh-client)
command -v rclone >/dev/null 2>&1 || remote_pkgs+=(rclone)
# strace counts the syncs of a push to a folder remote (test/integration/remote.test.ts).
command -v strace >/dev/null 2>&1 || remote_pkgs+=(strace)
if [ "${#remote_pkgs[@]}" -gt 0 ]; then
  echo "== installing ${remote_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${remote_pkgs[@]}" >"$log_dir/apt-remote.log" 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${remote_pkgs[@]}" >>"$log_dir/apt-remote.log" 2>&1; } \
    || { cat "$log_dir/apt-remote.log"; exit 1; }
fi
# sshd refuses to start without its privilege-separation directory.
mkdir -p /run/sshd
[ -f node_modules/s3rver/bin/s3rver.js ] || { echo "error: s3rver missing from node_modules (run npm ci first)" >&2; exit 1; }
echo "== remotes: $(/usr/sbin/sshd -V 2>&1 | head -n 1), rclone $(rclone version 2>/dev/null | head -n 1 | awk '{print $2}'), s3rver $(node -p "require('./node_modules/s3rver/package.json').version")"
