import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../model/diagnostic.js';
import type { EnvironmentResult } from '../model/environment.js';
import type { Stage } from '../model/stage.js';
import { loadExeca } from '../util/execa-module.js';
import type { ExecHandle, ExecOutcome, ExecRequest, Executor, RunningMarker, ToolProbeOutcome, ToolProbeRequest } from './executor.js';
import { probeOnThisHost } from './tool-probe.js';
import { waitForFile } from './local/file-wait.js';
import { KILL_GRACE_MS, LocalRun, logSize } from './local/local-run.js';
import { localRunFiles, readRecord, readStatus, removeStaleRunFiles, writeRecord, writeScript } from './local/run-files.js';
import { GROUP_VARIABLE, stageScript } from './local/stage-script.js';
import { descendantsOf, killProcessGroup, processesWithEnv, terminateTagged } from './process-group.js';

/**
 * Set in the environment of every command this executor starts. Cleanup matches it, so processes of
 * other executors that carry the same ORCHESTRATOR_* variables on this machine (a Slurm job on a
 * single-node cluster, a container's processes) are never mistaken for local orphans.
 */
const OWN_TAG = { ORCHESTRATOR_EXECUTOR: 'local' } as const;

/** Names `export` accepts. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Runs a stage's commands on this machine, each as `sh -c CMD`, through a small `sh` script started
 * (with execa) in its own process group and session: it writes the commands' output to the stage's
 * log and its exit status to a status file, so it outlives a crashed orchestrator and a closed
 * terminal, and a later run adopts it like a Slurm job.
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  /** A local stage outlives the orchestrator: a later run adopts it when its inputs are unchanged. */
  readonly reattachable = true;
  readonly logsOutput = true;
  /** Executions this process follows, by process group: what killAllNow stops. */
  private readonly live = new Map<number, Record<string, string>>();

  /** This machine, with the stage's own variables (a local stage never sees `container.env`). */
  async describeEnvironment(stage: Stage): Promise<EnvironmentResult> {
    return { ok: true, value: { id: 'host', env: { ...stage.env }, scope: JSON.stringify({ wdir: stage.wdir }) } };
  }

  probeTool(req: ToolProbeRequest): Promise<ToolProbeOutcome> {
    return probeOnThisHost({ stage: req.stage, root: req.root, script: req.command, shell: 'sh', ...(req.signal ? { signal: req.signal } : {}) });
  }

  /**
   * Configuration errors, reported before anything runs: variable names the shell cannot export,
   * and NUL characters, which no command line or environment can hold.
   */
  async preflight(stages: readonly Stage[]): Promise<Diagnostic[]> {
    return stages.flatMap((s) => {
      const at = s.span ? { span: s.span } : {};
      const names = Object.keys(s.env)
        .filter((name) => !ENV_NAME.test(name))
        .map((name) => ({
          code: 'invalid-value' as const,
          message: `stage "${s.name}": "${name}" is not a valid environment variable name`,
          ...at,
          hint: 'use letters, digits and underscores, not starting with a digit',
        }));
      const nuls = [...s.cmd.map((c, i) => [`command ${i + 1}`, c] as const), ...Object.entries(s.env).map(([k, v]) => [`env ${k}`, v] as const)]
        .filter(([, text]) => text.includes('\0'))
        .map(([what]) => ({ code: 'invalid-value' as const, message: `stage "${s.name}": ${what} contains a NUL character`, ...at }));
      return [...names, ...nuls];
    });
  }

  async start(req: ExecRequest): Promise<ExecHandle> {
    const files = localRunFiles(req.root, req.runId, req.stage.name);
    writeScript(files, stageScript({ stage: req.stage, root: req.root, logFile: req.logFile, statusFile: files.status }));
    const tags = stageTags(req.root, req.runId, req.stage.name);
    const { execa } = await loadExeca();
    const logStart = logSize(req.logFile);
    // Its own session (detached): a terminal's Ctrl-C or hangup reaches only the orchestrator, which
    // cancels in order, and a SIGKILLed orchestrator leaves it running.
    const child = execa('sh', [files.script], {
      cwd: req.root,
      env: { ...req.stage.env, ...tags },
      detached: true,
      cleanup: false,
      stdio: 'ignore',
      reject: false,
    });
    const pgid = child.pid;
    if (pgid === undefined) {
      const r = await child;
      return failedHandle(`could not start sh: ${r.shortMessage}`);
    }
    writeRecord(files, { pgid, log: req.logFile });
    req.onHandleId?.(String(pgid));
    this.live.set(pgid, tags);
    const ended = child.then((r) => ({ ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}), ...(r.signal ? { signal: r.signal } : {}) }));
    return new LocalRun({ req, files, pgid, tags, ended, logStart, onSettled: () => this.live.delete(pgid) });
  }

  /**
   * Adopts a dead run's execution of this stage: one still running (its script's process carries the
   * dead run's tags), or one that finished cleanly while nobody watched (status 0). Its output is
   * copied into this run's log; a failed or vanished one is run again.
   */
  async reattach(marker: RunningMarker, req: ExecRequest): Promise<ExecHandle | undefined> {
    if (!/^\d+$/.test(marker.handleId)) return undefined;
    const files = localRunFiles(req.root, marker.runId, req.stage.name);
    const record = readRecord(files);
    if (!record || String(record.pgid) !== marker.handleId) return undefined;
    const { pgid } = record;
    const tags = stageTags(req.root, marker.runId, req.stage.name);
    const status = readStatus(files);
    const leaderStart = startTime(pgid);
    const running = status === undefined && leaderStart !== undefined && processesWithEnv(tags).some((p) => p.pid === pgid);
    if (!running && status?.code !== 0) return undefined;
    const alive = () => leaderStart !== undefined && startTime(pgid) === leaderStart;
    const wait = waitForFile(files.status, () => readStatus(files) !== undefined, alive);
    this.live.set(pgid, tags);
    return new LocalRun({
      req,
      files,
      pgid,
      tags,
      ended: wait.done.then(() => ({})),
      adoptedLog: record.log,
      logStart: 0,
      onSettled: () => {
        wait.close();
        this.live.delete(pgid);
      },
    });
  }

  /** Stops a dead run's execution of this stage: every process carrying its tags, and their descendants. */
  async cleanup(marker: RunningMarker): Promise<void> {
    await terminateTagged({ ...OWN_TAG, ORCHESTRATOR_RUN_ID: marker.runId, ORCHESTRATOR_STAGE: marker.stage }, KILL_GRACE_MS);
  }

  /**
   * Stops every local execution earlier runs in this workspace left, found by their environment,
   * except those in `keep` (process groups the run will adopt, with whatever left them), and removes
   * their files.
   */
  async cleanupLeftovers(root: string, keep: ReadonlySet<string>): Promise<void> {
    const tag = { ...OWN_TAG, ORCHESTRATOR_ROOT: root };
    const kept = new Set([...keep].filter((k) => /^\d+$/.test(k)).map(Number));
    for (const pgid of this.live.keys()) kept.add(pgid);
    const spared = new Set(kept);
    for (const k of kept) for (const p of processesWithEnv({ ...tag, [GROUP_VARIABLE]: String(k) })) spared.add(p.pgid);
    const groups = new Set(processesWithEnv(tag).filter((p) => !spared.has(p.pid) && !spared.has(p.pgid)).map((p) => p.pgid));
    await Promise.all([...groups].map((g) => killProcessGroup(g, KILL_GRACE_MS)));
    removeStaleRunFiles(root, kept);
  }

  /** Second Ctrl-C: SIGKILL every execution this process follows, synchronously, before it exits. */
  killAllNow(): void {
    for (const [pgid, tags] of this.live) {
      const tagged = processesWithEnv(tags).map((p) => p.pid);
      kill(-pgid);
      for (const pid of [...tagged, ...descendantsOf([pgid, ...tagged])]) kill(pid);
    }
    this.live.clear();
  }
}

/** The tags of one execution: its executor, workspace, run and stage (sweep variants share run ids and stage names). */
function stageTags(root: string, runId: string, stage: string): Record<string, string> {
  return { ...OWN_TAG, ORCHESTRATOR_STAGE: stage, ORCHESTRATOR_ROOT: root, ORCHESTRATOR_RUN_ID: runId };
}

/** A live (non-zombie) process's start time, so a reused pid is never taken for the script. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch {
    return undefined;
  }
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function failedHandle(message: string): ExecHandle {
  const outcome: ExecOutcome = { status: 'failed', failure: { kind: 'executor-error', message } };
  return { id: '', wait: async () => outcome, cancel: async () => undefined };
}
