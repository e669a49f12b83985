import type Dockerode from 'dockerode';

/**
 * Two connections to the Docker engine, both configured from DOCKER_HOST (and DOCKER_TLS_VERIFY,
 * DOCKER_CERT_PATH) like the docker CLI; Docker contexts are not read.
 * - `quick` gives up after a few seconds: pings, inspects, lists, removals. A dead TCP endpoint
 *   must not hang a pre-flight check.
 * - `stream` has no timeout: attaching to and waiting on a container that runs for hours.
 */
export interface DockerClients {
  quick: Dockerode;
  stream: Dockerode;
}

const QUICK_TIMEOUT_MS = 10_000;

/**
 * Loads dockerode on first use only: it costs ~75 ms of start-up that a local pipeline never needs.
 * (The CLI bundle keeps it external, see scripts/bundle.mjs.)
 */
export async function connectDocker(): Promise<DockerClients> {
  const { default: Docker } = await import('dockerode');
  return { quick: new Docker({ timeout: QUICK_TIMEOUT_MS }), stream: new Docker() };
}

/** Where the engine is expected, for messages: DOCKER_HOST or the default socket. */
export function dockerHostDescription(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST && env.DOCKER_HOST !== '' ? env.DOCKER_HOST : 'unix:///var/run/docker.sock';
}

/** Error codes of a connection that never reached a Docker engine. */
const UNREACHABLE = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOTSOCK']);

export type DockerFailure =
  | { kind: 'unreachable'; code: string; message: string }
  | { kind: 'not-found'; message: string }
  | { kind: 'other'; message: string };

/** Sorts an error from dockerode into what the caller can act on. */
export function classifyDockerError(e: unknown): DockerFailure {
  const error = e as { code?: string; statusCode?: number; message?: string; json?: { message?: string } };
  const message = error.json?.message ?? error.message ?? String(e);
  if (error.statusCode === 404) return { kind: 'not-found', message };
  if (error.code && UNREACHABLE.has(error.code)) return { kind: 'unreachable', code: error.code, message };
  if (/timeout/i.test(message) && error.statusCode === undefined) return { kind: 'unreachable', code: 'ETIMEDOUT', message };
  return { kind: 'other', message };
}

/** The hint for an engine that does not answer, by how the connection failed. */
export function unreachableHint(code: string, env: NodeJS.ProcessEnv = process.env): string {
  const where = dockerHostDescription(env);
  if (code === 'EACCES' || code === 'EPERM') {
    return `permission denied on ${where}: add yourself to the "docker" group (then log in again), or run rootless Docker and set DOCKER_HOST`;
  }
  if (code === 'ENOENT' || code === 'ECONNREFUSED') {
    return `no Docker engine answers at ${where}: start it (e.g. "sudo systemctl start docker", or "sudo dockerd &"), or point DOCKER_HOST at a running one`;
  }
  return `the Docker engine at ${where} did not answer (${code}); check DOCKER_HOST and that the engine runs`;
}

/** True if `e` says the container is already gone (404) or being removed (409): removal is done. */
export function isGone(e: unknown): boolean {
  const status = (e as { statusCode?: number }).statusCode;
  return status === 404 || status === 409;
}
