import { existsSync } from 'node:fs';
import os from 'node:os';
import type { Diagnostic } from '../../model/diagnostic.js';
import type { Stage } from '../../model/stage.js';
import type { ExecHandle, ExecOutcome, ExecRequest, Executor, RunningMarker } from '../executor.js';
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

  /** The image's content-addressed ID: rebuilding or retagging the image changes the fingerprint. */
  async environmentId(stage: Stage): Promise<string> {
    const image = stage.container?.image;
    if (!image) return 'no container.image';
    const lookup = await this.resolveImage(image);
    return lookup.ok ? lookup.id : lookup.reason === 'missing' ? `image ${image} not found` : `image ${image} unknown: ${lookup.message}`;
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
    const image = req.stage.container?.image;
    if (!image) return failedHandle('executor docker needs container.image');
    let docker: DockerClients;
    try {
      docker = await this.clients();
    } catch (e) {
      return failedHandle(`could not load the Docker client: ${(e as Error).message}`);
    }
    const lookup = await this.resolveImage(image);
    if (!lookup.ok) return failedHandle(lookup.message);
    return new ContainerRun(docker, req, lookup.id, this.live, { kind: 'fresh' });
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

function failedHandle(message: string): ExecHandle {
  const outcome: ExecOutcome = { status: 'failed', message };
  return { id: '', wait: async () => outcome, cancel: async () => undefined };
}
