import type Dockerode from 'dockerode';
import path from 'node:path';
import type { ContainerSpec, Stage } from '../../model/stage.js';
import { err, ok, type Result } from '../../model/result.js';

/** Labels on every container the executor creates; cleanup finds containers by them alone. */
export const LABEL = {
  root: 'orchestrator.root',
  runId: 'orchestrator.run-id',
  stage: 'orchestrator.stage',
  /** Index of the command in the stage's `cmd` list (one container per command). */
  command: 'orchestrator.command',
} as const;

export interface BindMount {
  /** Absolute host path. */
  source: string;
  /** Absolute container path. */
  target: string;
  readOnly: boolean;
  /** The host path was relative (to the workspace root). */
  relative: boolean;
  /** As written in pipeline.yaml, for messages. */
  spec: string;
}

/**
 * Parses `host[:container][:ro|rw]`. A relative host path is relative to the workspace root (where
 * pipeline.yaml is), `~/` is the caller's home; the container path defaults to the host path and
 * must be absolute.
 */
export function parseMount(spec: string, root: string, home: string): Result<BindMount, string> {
  const parts = spec.split(':');
  let readOnly = false;
  const last = parts[parts.length - 1];
  if (parts.length > 1 && (last === 'ro' || last === 'rw')) {
    readOnly = last === 'ro';
    parts.pop();
  }
  if (parts.length > 2 || parts.some((p) => p === '')) {
    return err(`mount "${spec}" is not of the form host[:container][:ro]`);
  }
  const [hostPart, containerPart] = parts as [string, string | undefined];
  const expanded = hostPart === '~' ? home : hostPart.startsWith('~/') ? path.join(home, hostPart.slice(2)) : hostPart;
  const source = path.resolve(root, expanded);
  const target = containerPart ?? source;
  if (!path.posix.isAbsolute(target)) return err(`mount "${spec}": the container path "${target}" must be absolute`);
  const relative = !path.isAbsolute(expanded);
  return ok({ source, target: path.posix.normalize(target), readOnly, relative, spec });
}

/** Every mount of a stage, or the first problem. */
export function stageMounts(container: ContainerSpec | undefined, root: string, home: string): Result<BindMount[], string> {
  const mounts: BindMount[] = [];
  for (const spec of container?.mounts ?? []) {
    const parsed = parseMount(spec, root, home);
    if (!parsed.ok) return parsed;
    mounts.push(parsed.value);
  }
  return ok(mounts);
}

/**
 * What the command sees, lowest precedence first: `env_passthrough` names copied from the caller,
 * the stage's `env`, `container.env`, then ORCHESTRATOR_STAGE/ROOT/RUN_ID. Nothing else of the
 * caller's environment enters the container (the image's own ENV stays in effect).
 */
export function containerEnv(stage: Stage, callerEnv: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of stage.container?.env_passthrough ?? []) {
    const value = callerEnv[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, stage.env, stage.container?.env);
  for (const name of ['ORCHESTRATOR_STAGE', 'ORCHESTRATOR_ROOT', 'ORCHESTRATOR_RUN_ID']) {
    const value = callerEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `8g`, `512m`, `1024k`, a plain number of bytes; binary units as in `docker run --shm-size`. */
export function parseSize(value: string | number): Result<number, string> {
  if (typeof value === 'number') return value > 0 ? ok(Math.round(value)) : err(`size ${value} must be positive`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?\s*$/i.exec(value);
  if (!m) return err(`"${value}" is not a size such as 8g or 512m`);
  return ok(Math.round(Number(m[1]) * SIZE_UNITS[m[2]!.toLowerCase()]!));
}

/** `--gpus` semantics: `all`, a count, or `device=0,1`. */
export function gpuRequests(gpus: string | number | undefined): Result<Dockerode.DeviceRequest[] | undefined, string> {
  if (gpus === undefined) return ok(undefined);
  const request = (r: Dockerode.DeviceRequest) => ok([{ Driver: '', Capabilities: [['gpu']], ...r }]);
  if (gpus === 'all') return request({ Count: -1 });
  if (typeof gpus === 'number' || /^\d+$/.test(gpus)) {
    const count = Number(gpus);
    return count > 0 ? request({ Count: count }) : err(`gpus: ${gpus} must be at least 1, "all" or "device=..."`);
  }
  const devices = /^device=(.+)$/.exec(gpus);
  if (devices) return request({ DeviceIDs: devices[1]!.split(',').map((d) => d.trim()) });
  return err(`gpus: "${gpus}" is not a count, "all" or "device=0,1"`);
}

/** The memory limit in bytes for `resources.mem_gb` (GiB, like the rest of Docker's units). */
export function memoryLimit(stage: Stage): number | undefined {
  const gb = stage.resources.mem_gb;
  return gb === undefined ? undefined : Math.round(gb * 1024 ** 3);
}

/** Where a stage's commands run inside its container: its wdir, or `container.workdir` relative to it. */
export function containerWorkdir(stage: Stage, root: string): string {
  const stageDir = path.join(root, stage.wdir);
  const workdir = stage.container?.workdir;
  return workdir === undefined ? stageDir : path.resolve(stageDir, workdir);
}

export interface ContainerRequest {
  stage: Stage;
  /** Absolute workspace root. */
  root: string;
  runId: string;
  /** The resolved image ID (sha256:...), so the container runs exactly what the fingerprint names. */
  imageId: string;
  command: string;
  commandIndex: number;
  /** From ExecRequest.env: the caller's environment plus ORCHESTRATOR_*. */
  callerEnv: Readonly<Record<string, string | undefined>>;
  /** uid:gid of the caller, the default user. */
  callerUser: string;
  home: string;
}

/**
 * The create-container options for one command of a stage. The workspace is bind-mounted at its
 * own absolute path, so paths in commands, logs and outputs mean the same inside and out. The
 * image's ENTRYPOINT is kept (the FINN image's sets up the Xilinx tools, then runs its arguments).
 */
export function containerOptions(req: ContainerRequest): Result<Dockerode.ContainerCreateOptions, string> {
  const { stage, root } = req;
  const spec = stage.container ?? {};
  const mounts = stageMounts(spec, root, req.home);
  if (!mounts.ok) return mounts;
  const workdir = containerWorkdir(stage, root);
  const hostConfig: Dockerode.HostConfig = {
    // Mounts (not Binds): a missing source is an error instead of a root-owned directory created on the host.
    Mounts: [
      { Type: 'bind', Source: root, Target: root, ReadOnly: false },
      ...mounts.value.map((m) => ({ Type: 'bind' as const, Source: m.source, Target: m.target, ReadOnly: m.readOnly })),
    ],
    // An init process as PID 1 forwards SIGTERM on cancel and reaps the zombies long tool flows leave.
    Init: true,
  };
  const cpus = stage.resources.cpus;
  if (cpus !== undefined) hostConfig.NanoCpus = Math.round(cpus * 1e9);
  const memory = memoryLimit(stage);
  if (memory !== undefined) {
    hostConfig.Memory = memory;
    // No swap on top: mem_gb is the limit the stage gets, and hitting it is reported as such.
    hostConfig.MemorySwap = memory;
  }
  if (spec.shm_size !== undefined) {
    const shm = parseSize(spec.shm_size);
    if (!shm.ok) return err(`shm_size: ${shm.error}`);
    hostConfig.ShmSize = shm.value;
  }
  if (spec.network !== undefined) hostConfig.NetworkMode = spec.network;
  const gpus = gpuRequests(spec.gpus);
  if (!gpus.ok) return gpus;
  if (gpus.value) hostConfig.DeviceRequests = gpus.value;

  const env = containerEnv(stage, req.callerEnv);
  return ok({
    Image: req.imageId,
    Cmd: ['sh', '-c', req.command],
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    User: spec.user ?? req.callerUser,
    WorkingDir: workdir,
    Labels: {
      [LABEL.root]: root,
      [LABEL.runId]: req.runId,
      [LABEL.stage]: stage.name,
      [LABEL.command]: String(req.commandIndex),
    },
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    HostConfig: hostConfig,
  });
}
