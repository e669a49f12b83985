import { readFileSync } from 'node:fs';
import os from 'node:os';
import { closestMatch } from '../../config/did-you-mean.js';
import type { Diagnostic } from '../../model/diagnostic.js';
import type { EnvironmentResult } from '../../model/environment.js';
import type { StageFailure } from '../../model/failure.js';
import type { Stage } from '../../model/stage.js';
import type { ExecHandle, ExecOutcome, ExecRequest, Executor, RunningMarker, ToolProbeOutcome, ToolProbeRequest } from '../executor.js';
import { probeOnThisHost } from '../tool-probe.js';
import type { DockerExecutor } from '../docker/docker-executor.js';
import { callerUser } from '../docker/container-run.js';
import { dockerRunWords } from './container-command.js';
import { jobFiles, type JobFiles } from './job-files.js';
import { JobPoller } from './job-poller.js';
import { jobScript, parseStatusFile } from './job-script.js';
import { isLiveState, parseScontrolJob } from './job-state.js';
import { isSlurmTime, parseJobComment } from './sbatch-args.js';
import { scancelNow, slurmCall } from './slurm-cli.js';
import { SlurmJob, type JobContext } from './slurm-job.js';

/** Seconds to wait for a finished job's status file (`ORCHESTRATOR_SLURM_GRACE_S`, default 30). */
function graceSeconds(): number {
  const value = Number(process.env.ORCHESTRATOR_SLURM_GRACE_S);
  return Number.isFinite(value) && value >= 0 ? value : 30;
}

/**
 * Runs each stage as one Slurm batch job (sbatch of a generated script), tracked by one batched
 * poller. Talks to Slurm only through its client commands, and only once a pipeline has Slurm
 * stages: a local pipeline never runs squeue. A stage with a container runs it with `docker run`
 * on the node (Docker is the runtime verified here).
 */
export class SlurmExecutor implements Executor {
  readonly kind = 'slurm' as const;
  /** Jobs outlive the orchestrator: a later run follows them instead of submitting again. */
  readonly reattachable = true;
  private readonly live = new Set<string>();
  private ctx: JobContext | undefined;
  private docker: DockerExecutor | undefined;
  /** Set once this process deals with a Slurm stage; until then cleanup never calls squeue. */
  private inUse = false;

  private context(): JobContext {
    this.inUse = true;
    return (this.ctx ??= { poller: new JobPoller(), live: this.live, graceS: graceSeconds() });
  }

  private async dockerExecutor(): Promise<DockerExecutor> {
    if (!this.docker) {
      const { DockerExecutor } = await import('../docker/docker-executor.js');
      this.docker = new DockerExecutor();
    }
    return this.docker;
  }

  /**
   * A stage with a container: exactly what the Docker executor says (image ID, the stage's `env`
   * under `container.env`), since the job runs `docker run` of that image with those variables.
   * Without one: the host and the stage's `env`. Where the job runs is not part of it, nor are the
   * `slurm:` settings; `setup` only scopes tool probes.
   */
  async describeEnvironment(stage: Stage): Promise<EnvironmentResult> {
    if (stage.container) return (await this.dockerExecutor()).describeEnvironment(stage);
    return { ok: true, value: { id: 'host', env: { ...stage.env }, scope: JSON.stringify({ wdir: stage.wdir, setup: setupLines(stage) }) } };
  }

  /**
   * Tool probes run on this submit host, not in a job: a job per probe would queue for minutes. A
   * container stage's probe runs in the same image with the same settings (the nodes must have the
   * identical image anyway); otherwise it runs in bash after the stage's `slurm.setup` lines, so
   * `module load vivado/2023.1` picks the version here as on the node.
   */
  async probeTool(req: ToolProbeRequest): Promise<ToolProbeOutcome> {
    if (req.stage.container) return (await this.dockerExecutor()).probeTool(req);
    const script = [...setupLines(req.stage), req.command].join('\n');
    return probeOnThisHost({ stage: req.stage, root: req.root, script, shell: 'bash', ...(req.signal ? { signal: req.signal } : {}) });
  }

  async preflight(stages: readonly Stage[]): Promise<Diagnostic[]> {
    if (stages.length === 0) return [];
    this.inUse = true;
    const diagnostics: Diagnostic[] = [];
    for (const s of stages) {
      const time = s.slurm?.time;
      if (time !== undefined && !isSlurmTime(time)) {
        diagnostics.push({
          code: 'invalid-value',
          message: `stage "${s.name}": slurm.time "${time}" is not a Slurm time limit`,
          span: s.span,
          hint: 'use minutes (90), HH:MM:SS (04:00:00) or D-HH:MM:SS (1-00:00:00)',
        });
      }
    }
    const names = stages.map((s) => `"${s.name}"`);
    const who = names.length > 1 ? `stages ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''} run` : `stage ${names[0]} runs`;
    const [sbatch, sinfo] = await Promise.all([slurmCall('sbatch', ['--version']), slurmCall('sinfo', ['-h', '-o', '%R|%a'])]);
    if (!sbatch.ok && sbatch.missing) {
      diagnostics.push({
        code: 'slurm-unavailable',
        message: `${who} on Slurm, but sbatch is not installed here (not on PATH)`,
        span: stages[0]!.span,
        hint: 'run orchestrator on a Slurm submit host (one where sbatch and squeue work; Debian: apt-get install slurm-client), or set executor: local',
      });
      return diagnostics;
    }
    if (!sinfo.ok) {
      diagnostics.push({
        code: 'slurm-unavailable',
        message: `${who} on Slurm, but the controller does not answer (sinfo: ${sinfo.message})`,
        span: stages[0]!.span,
        hint: 'check that `sinfo` works here: slurmctld running, munged running, /etc/slurm/slurm.conf pointing at the controller',
      });
      return diagnostics;
    }
    const partitions = new Map(
      sinfo.stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          const [name, avail] = l.trim().split('|');
          return [name!.replace(/\*$/, ''), avail ?? ''] as const;
        }),
    );
    for (const s of stages) {
      const partition = s.slurm?.partition;
      if (partition === undefined || partitions.has(partition)) continue;
      const close = closestMatch(partition, partitions.keys());
      diagnostics.push({
        code: 'invalid-value',
        message: `stage "${s.name}": Slurm partition "${partition}" does not exist${close ? ` (did you mean "${close}"?)` : ''}`,
        span: s.span,
        hint: `partitions here: ${[...partitions.keys()].join(', ') || 'none'} (sinfo -s lists them)`,
      });
    }
    const containerStages = stages.filter((s) => s.container);
    if (containerStages.length > 0) diagnostics.push(...(await (await this.dockerExecutor()).preflight(containerStages)));
    return diagnostics;
  }

  async start(req: ExecRequest): Promise<ExecHandle> {
    const ctx = this.context();
    const environment = await this.describeEnvironment(req.stage);
    if (!environment.ok) return failedHandle({ kind: 'environment-unavailable', problem: environment.problem });
    const imageId = req.stage.container ? environment.value.id : undefined;
    return new SlurmJob(ctx, req, (files) => this.script(req, files, imageId), { kind: 'fresh', files: jobFiles(req.root, req.runId, req.stage.name) });
  }

  /**
   * A dead run's job that is still queued or running, or that completed while nobody watched (its
   * status file says 0), is followed instead of submitted again. Only a job whose name is the
   * marker's run id and whose comment names this workspace and stage: job ids are reused after a
   * controller reset.
   */
  async reattach(marker: RunningMarker, req: ExecRequest): Promise<ExecHandle | undefined> {
    if (!/^\d+$/.test(marker.handleId)) return undefined;
    const ctx = this.context();
    const shown = await slurmCall('scontrol', ['show', 'job', marker.handleId]);
    if (!shown.ok) return undefined;
    const record = parseScontrolJob(shown.stdout);
    const owner = record && parseJobComment(record.comment);
    if (!record || !owner || owner.root !== req.root || owner.stage !== req.stage.name || record.name !== marker.runId) return undefined;
    const files = jobFiles(req.root, marker.runId, req.stage.name);
    if (!isLiveState(record.state) && !(record.state === 'COMPLETED' && completedCleanly(files, marker.handleId))) return undefined;
    const environment = await this.describeEnvironment(req.stage);
    if (!environment.ok) return undefined;
    const imageId = req.stage.container ? environment.value.id : undefined;
    return new SlurmJob(ctx, req, (f) => this.script(req, f, imageId), {
      kind: 'reattach',
      jobId: marker.handleId,
      fromRun: marker.runId,
      files,
      newFiles: jobFiles(req.root, req.runId, req.stage.name),
    });
  }

  /** Cancels the dead run's job of this stage: by the recorded id, and by run id + stage in case it was never recorded. */
  async cleanup(marker: RunningMarker): Promise<void> {
    const found = await slurmCall('squeue', ['-h', `--name=${marker.runId}`, '-o', '%i|%k']);
    const ids = new Set<string>();
    if (found.ok) {
      for (const line of found.stdout.split('\n')) {
        const [id, comment] = splitOnce(line.trim(), '|');
        if (id && parseJobComment(comment)?.stage === marker.stage) ids.add(id);
      }
    }
    if (/^\d+$/.test(marker.handleId) && found.ok && found.stdout.split('\n').some((l) => l.startsWith(`${marker.handleId}|`))) ids.add(marker.handleId);
    if (ids.size > 0) await slurmCall('scancel', [...ids]);
  }

  /**
   * Cancels every queued or running job whose comment names this workspace, except those in `keep`
   * (the run reattaches to them). Only once this process has Slurm stages.
   */
  async cleanupLeftovers(root: string, keep: ReadonlySet<string>): Promise<void> {
    if (!this.inUse) return;
    const found = await slurmCall('squeue', ['-h', '-u', os.userInfo().username, '-o', '%i|%k']);
    if (!found.ok) return;
    const ids: string[] = [];
    for (const line of found.stdout.split('\n')) {
      const [id, comment] = splitOnce(line.trim(), '|');
      if (id && !keep.has(id) && !this.live.has(id) && parseJobComment(comment)?.root === root) ids.push(id);
    }
    if (ids.length > 0) await slurmCall('scancel', ids);
  }

  /** Second Ctrl-C: scancel every job this process submitted, synchronously, before it exits. */
  killAllNow(): void {
    scancelNow([...this.live]);
    this.live.clear();
  }

  private script(req: ExecRequest, files: JobFiles, imageId: string | undefined): { ok: true; script: string } | { ok: false; message: string } {
    const statusFile = files.status('${SLURM_JOB_ID}');
    const startedFile = files.started('${SLURM_JOB_ID}');
    if (imageId === undefined) return { ok: true, script: jobScript({ stage: req.stage, root: req.root, runId: req.runId, statusFile, startedFile }) };
    for (let i = 0; i < req.stage.cmd.length; i++) {
      const words = dockerRunWords({ stage: req.stage, root: req.root, runId: req.runId, imageId, command: req.stage.cmd[i]!, commandIndex: i, callerUser: callerUser(), home: os.homedir() });
      if (!words.ok) return { ok: false, message: `container: ${words.error}` };
    }
    const commandWords = (command: string, index: number) => {
      const words = dockerRunWords({ stage: req.stage, root: req.root, runId: req.runId, imageId, command, commandIndex: index, callerUser: callerUser(), home: os.homedir() });
      return words.ok ? words.value : [];
    };
    return { ok: true, script: jobScript({ stage: req.stage, root: req.root, runId: req.runId, statusFile, startedFile, commandWords }) };
  }
}

function completedCleanly(files: JobFiles, jobId: string): boolean {
  try {
    return parseStatusFile(readFileSync(files.status(jobId), 'utf8'))?.code === 0;
  } catch {
    return false;
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

/** `slurm.setup` as a list of lines. */
function setupLines(stage: Stage): string[] {
  const setup = stage.slurm?.setup;
  return setup === undefined ? [] : typeof setup === 'string' ? [setup] : setup;
}

function failedHandle(failure: StageFailure): ExecHandle {
  const outcome: ExecOutcome = { status: 'failed', failure };
  return { id: '', wait: async () => outcome, cancel: async () => undefined };
}
