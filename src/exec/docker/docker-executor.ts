import { existsSync } from 'node:fs';
import os from 'node:os';
import type { Diagnostic } from '../../model/diagnostic.js';
import type { EnvironmentResult } from '../../model/environment.js';
import type { StageFailure } from '../../model/failure.js';
import type { Stage } from '../../model/stage.js';
import type { ExecHandle, ExecOutcome, ExecRequest, Executor, RunningMarker, ToolProbeOutcome, ToolProbeRequest } from '../executor.js';
import { loadExeca, loadedExeca } from '../../util/execa-module.js';
import { connectDocker, dockerHostDescription, unreachableHint, type DockerClients } from './client.js';
import { gpuRequests, LABEL, parseSize, stageMounts } from './container-config.js';
import { ContainerRun, type LiveContainers } from './container-run.js';
import { lookupImage, missingImageHint, probeEngine, type ImageLookup } from './probe.js';

/**
 * Runs stages in Docker containers through the engine API (dockerode). Everything heavy is loaded
 * on first use, so a pipeline without Docker stages never loads dockerode or talks to an engine.
 */
export class DockerExecutor implements Executor {
  /** reattach() works when called directly, but is not yet verified end to end after a crash: a crashed run's container is removed and the stage rerun. */
  readonly reattachable = false;
  readonly kind = 'docker' as const;
  private docker: Promise<DockerClients> | undefined;
  /** Image name -> lookup, once per process: every stage of a run uses the image the fingerprint named. */
  private readonly images = new Map<string, Promise<ImageLookup>>();
  /** Containers created and not yet removed by this process. */
  private readonly live: LiveContainers = new Set();
  /** Set once this process deals with a Docker stage; until then cleanup never contacts an engine. */
  private inUse = false;

  private clients(): Promise<DockerClients> {
    this.inUse = true;
    // Loaded now, while the engine is in use, so killAllNow can run the CLI synchronously later.
    return (this.docker ??= loadExeca().then(() => connectDocker()));
  }

  private resolveImage(name: string): Promise<ImageLookup> {
    let lookup = this.images.get(name);
    if (!lookup) {
      lookup = this.clients().then((d) => lookupImage(d, name));
      this.images.set(name, lookup);
    }
    return lookup;
  }

  /**
   * The image's content-addressed ID (rebuilding or retagging the image changes the fingerprint)
   * and the variables the container gets from pipeline.yaml: the stage's `env` under `container.env`.
   * Mounts, user and the like are not in the fingerprint (they say where things are, not what they
   * are; tool versions go in through `tools:`), but they do scope tool probes.
   */
  async describeEnvironment(stage: Stage): Promise<EnvironmentResult> {
    const spec = stage.container;
    if (!spec?.image) return { ok: false, problem: { kind: 'no-image' } };
    const image = spec.image;
    const lookup = await this.resolveImage(image).catch((e: Error): ImageLookup => ({ ok: false, reason: 'error', message: e.message }));
    if (!lookup.ok) {
      if (lookup.reason === 'missing') return { ok: false, problem: { kind: 'image-missing', image } };
      if (lookup.reason === 'unreachable') return { ok: false, problem: { kind: 'engine-unreachable', message: lookup.message } };
      return { ok: false, problem: { kind: 'engine-error', image, message: lookup.message } };
    }
    const scope = JSON.stringify({ wdir: stage.wdir, mounts: spec.mounts ?? [], user: spec.user ?? null, workdir: spec.workdir ?? null, passthrough: spec.env_passthrough ?? [] });
    return { ok: true, value: { id: lookup.id, env: { ...stage.env, ...spec.env }, scope } };
  }

  /** Runs the probe in a fresh container of the stage's image, exactly as a command of the stage would run. */
  async probeTool(req: ToolProbeRequest): Promise<ToolProbeOutcome> {
    let docker: DockerClients;
    try {
      docker = await this.clients();
    } catch (e) {
      return { ok: false, output: `could not load the Docker client: ${(e as Error).message}` };
    }
    const stdout: string[] = [];
    const all: string[] = [];
    const request: ExecRequest = {
      stage: { ...req.stage, cmd: [req.command] },
      root: req.root,
      runId: req.runId,
      env: callerEnv(),
      logFile: '',
      onLine: (line, stream) => {
        all.push(line);
        if (stream === 'stdout') stdout.push(line);
      },
    };
    const run = new ContainerRun(docker, request, req.environment.id, this.live, { kind: 'fresh' });
    const onAbort = () => void run.cancel();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const outcome = await run.wait().finally(() => req.signal?.removeEventListener('abort', onAbort));
    if (outcome.status === 'succeeded') return { ok: true, stdout: stdout.join('\n') };
    if (outcome.status === 'cancelled') return { ok: false, signal: 'SIGTERM', output: 'cancelled' };
    const f = outcome.failure;
    return { ok: false, ...(f.kind === 'exit-code' ? { exitCode: f.code } : {}), output: f.kind === 'executor-error' && f.message ? `${all.join('\n')}\n${f.message}`.trim() : all.join('\n') };
  }

  async preflight(stages: readonly Stage[]): Promise<Diagnostic[]> {
    if (stages.length === 0) return [];
    const diagnostics = stages.flatMap((s) => staticProblems(s));
    const docker = await this.clients();
    const engine = await probeEngine(docker);
    if (!engine.ok) {
      const names = stages.map((s) => `"${s.name}"`);
      diagnostics.push({
        code: 'docker-unavailable',
        message: `${names.length > 1 ? `stages ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''} run` : `stage ${names[0]} runs`} in Docker, but no Docker engine answers at ${dockerHostDescription()} (${engine.message})`,
        span: stages[0]!.span,
        hint: unreachableHint(engine.code),
      });
      return diagnostics;
    }
    const byImage = new Map<string, Stage[]>();
    for (const s of stages) if (s.container?.image) byImage.set(s.container.image, [...(byImage.get(s.container.image) ?? []), s]);
    for (const [image, users] of byImage) {
      const lookup = await this.resolveImage(image);
      if (lookup.ok) continue;
      diagnostics.push({
        code: 'image-missing',
        message: lookup.reason === 'missing' ? `stage "${users[0]!.name}" needs image "${image}", which does not exist in the Docker engine` : `stage "${users[0]!.name}": image "${image}": ${lookup.message}`,
        span: users[0]!.span,
        related: users.slice(1).map((s) => ({ message: `stage "${s.name}" uses it too`, span: s.span })),
        hint: missingImageHint(image),
      });
    }
    return diagnostics;
  }

  async start(req: ExecRequest): Promise<ExecHandle> {
    let docker: DockerClients;
    try {
      docker = await this.clients();
    } catch (e) {
      return failedHandle({ kind: 'executor-error', message: `could not load the Docker client: ${(e as Error).message}` });
    }
    // The same lookup the fingerprint used (once per process): the container runs the ID it names.
    const environment = await this.describeEnvironment(req.stage);
    if (!environment.ok) return failedHandle({ kind: 'environment-unavailable', problem: environment.problem });
    return new ContainerRun(docker, req, environment.value.id, this.live, { kind: 'fresh' });
  }

  /** Follows a container of a dead run that is still running, then runs the stage's remaining commands. */
  async reattach(marker: RunningMarker, req: ExecRequest): Promise<ExecHandle | undefined> {
    if (!marker.handleId) return undefined;
    try {
      const docker = await this.clients();
      const info = await docker.quick.getContainer(marker.handleId).inspect();
      const labels = info.Config.Labels ?? {};
      const index = Number(labels[LABEL.command]);
      const ours = labels[LABEL.root] === req.root && labels[LABEL.stage] === req.stage.name && labels[LABEL.runId] === marker.runId;
      if (!ours || !info.State.Running || !Number.isInteger(index) || index >= req.stage.cmd.length) return undefined;
      return new ContainerRun(docker, req, info.Image, this.live, { kind: 'reattach', containerId: info.Id, commandIndex: index });
    } catch {
      return undefined;
    }
  }

  async cleanup(marker: RunningMarker): Promise<void> {
    const filters = [`${LABEL.runId}=${marker.runId}`, `${LABEL.stage}=${marker.stage}`];
    await this.removeContainers(filters, marker.handleId ? [marker.handleId] : []);
  }

  /**
   * Removes every container labelled with this workspace. Only once this process has Docker stages
   * (the pre-flight saw some): a local-only repro never contacts an engine. A crashed Docker stage
   * is still cleaned up by any later run through its running marker (`cleanup`).
   */
  async cleanupLeftovers(root: string, keep: ReadonlySet<string>): Promise<void> {
    if (!this.inUse) return;
    const kept = (id: string) => [...keep].some((k) => k !== '' && (id.startsWith(k) || k.startsWith(id)));
    await this.removeContainers([`${LABEL.root}=${root}`], [], kept);
  }

  /**
   * Second Ctrl-C: the process exits right after this, so no promise would ever settle. `docker rm -f`
   * (the CLI, same DOCKER_HOST) kills and removes this process's containers synchronously.
   */
  killAllNow(): void {
    const execa = loadedExeca();
    if (this.live.size === 0 || !execa) return;
    execa.execaSync('docker', ['rm', '-f', ...this.live], { stdio: 'ignore', timeout: 10_000, reject: false });
    this.live.clear();
  }

  /** Containers of a dead run: nobody collects their outputs, so they are killed, not stopped gracefully. */
  private async removeContainers(labelFilters: string[], ids: string[], spare: (id: string) => boolean = () => false): Promise<void> {
    try {
      const docker = await this.clients();
      const found = await docker.quick.listContainers({ all: true, filters: { label: labelFilters } });
      const all = new Set([...ids, ...found.map((c) => c.Id).filter((id) => !spare(id))]);
      await Promise.all(
        [...all].map((id) =>
          docker.quick
            .getContainer(id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
    } catch {
      // No engine (or no client): nothing of ours can be running there.
    }
  }
}

/** Configuration problems found without an engine: a missing image name, bad or missing mounts. */
function staticProblems(stage: Stage): Diagnostic[] {
  const out: Diagnostic[] = [];
  const spec = stage.container;
  if (!spec?.image) {
    out.push({
      code: 'image-missing',
      message: `stage "${stage.name}" uses executor docker but names no image`,
      span: stage.span,
      hint: 'set container: {image: NAME:TAG} in the stage or under defaults',
    });
  }
  // Stages carry no absolute root, so relative sources (resolved against the workspace root when the
  // container is created) are checked by Docker then; they mostly lie inside the workspace anyway.
  const mounts = stageMounts(spec, '/', os.homedir());
  if (!mounts.ok) {
    out.push({ code: 'invalid-value', message: `stage "${stage.name}": ${mounts.error}`, span: stage.span, hint: 'write mounts as host[:container][:ro], e.g. /tools/Xilinx:/tools/Xilinx:ro' });
  } else {
    for (const m of mounts.value) {
      if (m.relative || existsSync(m.source)) continue;
      out.push({
        code: 'mount-missing',
        message: `stage "${stage.name}": mount source "${m.source}" does not exist (mount "${m.spec}")`,
        span: stage.span,
        hint: 'create it or fix the path (relative host paths are relative to the directory of pipeline.yaml, ~/ is your home)',
      });
    }
  }
  if (spec?.shm_size !== undefined) {
    const shm = parseSize(spec.shm_size);
    if (!shm.ok) out.push({ code: 'invalid-value', message: `stage "${stage.name}": shm_size: ${shm.error}`, span: stage.span });
  }
  const gpus = gpuRequests(spec?.gpus);
  if (!gpus.ok) out.push({ code: 'invalid-value', message: `stage "${stage.name}": ${gpus.error}`, span: stage.span });
  return out;
}

/** The caller's environment as plain strings: `env_passthrough` copies from it. */
function callerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

function failedHandle(failure: StageFailure): ExecHandle {
  const outcome: ExecOutcome = { status: 'failed', failure };
  return { id: '', wait: async () => outcome, cancel: async () => undefined };
}
