import { err, ok, type Result } from '../../model/result.js';
import { containerWorkdir, gpuRequests, LABEL, parseSize, stageMounts, type ContainerRequest } from '../docker/container-config.js';

/** A word of the job script: literal, or expanded by the shell on the node (emitted in double quotes). */
export type ShellWord = string | { expand: string };

/** What the Docker executor's request holds, less the caller's environment (the job script exports it). */
export type ContainerCommandRequest = Omit<ContainerRequest, 'callerEnv'>;

/**
 * The `docker run` words that run one command of a Slurm stage on the node, with the same settings
 * the Docker executor gives a container (workspace at its own path, wdir, user, mounts, limits,
 * labels; the image's ENTRYPOINT kept). Variables (`--env NAME` without a value) are copied from the
 * job's environment: sbatch exports the caller's, and the job script sets the stage's and ORCHESTRATOR_*.
 */
export function dockerRunWords(req: ContainerCommandRequest): Result<ShellWord[], string> {
  const { stage, root } = req;
  const spec = stage.container ?? {};
  const mounts = stageMounts(spec, root, req.home);
  if (!mounts.ok) return mounts;
  const workdir = containerWorkdir(stage, root);
  // Named after the job, so an operator can find (and `docker rm -f`) the container of a job.
  const words: ShellWord[] = ['docker', 'run', '--rm', '--init', '--name', { expand: `orchestrator-slurm-\${SLURM_JOB_ID:-manual}-${req.commandIndex + 1}` }];
  words.push('--label', `${LABEL.root}=${root}`, '--label', `${LABEL.runId}=${req.runId}`, '--label', `${LABEL.stage}=${stage.name}`, '--label', `${LABEL.command}=${req.commandIndex}`);
  words.push('--user', spec.user ?? req.callerUser, '--workdir', workdir);
  words.push('--mount', `type=bind,source=${root},target=${root}`);
  for (const m of mounts.value) words.push('--mount', `type=bind,source=${m.source},target=${m.target}${m.readOnly ? ',readonly' : ''}`);
  for (const name of spec.env_passthrough ?? []) words.push('--env', name);
  const declared = { ...stage.env, ...spec.env };
  for (const [k, v] of Object.entries(declared)) words.push('--env', `${k}=${v}`);
  for (const name of ['ORCHESTRATOR_STAGE', 'ORCHESTRATOR_ROOT', 'ORCHESTRATOR_RUN_ID']) words.push('--env', name);
  if (stage.resources.cpus !== undefined) words.push('--cpus', String(stage.resources.cpus));
  const gb = stage.resources.mem_gb;
  if (gb !== undefined) {
    const bytes = String(Math.round(gb * 1024 ** 3));
    words.push('--memory', bytes, '--memory-swap', bytes);
  }
  if (spec.shm_size !== undefined) {
    const shm = parseSize(spec.shm_size);
    if (!shm.ok) return err(`shm_size: ${shm.error}`);
    words.push('--shm-size', String(shm.value));
  }
  if (spec.network !== undefined) words.push('--network', spec.network);
  const gpus = gpuRequests(spec.gpus);
  if (!gpus.ok) return gpus;
  if (spec.gpus !== undefined) words.push('--gpus', String(spec.gpus));
  words.push(req.imageId, 'sh', '-c', req.command);
  return ok(words);
}
