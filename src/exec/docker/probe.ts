import { classifyDockerError, type DockerClients } from './client.js';

export type EngineStatus =
  | { ok: true; version: string; apiVersion: string; os: string }
  | { ok: false; code: string; message: string };

/** Whether an engine answers, and which. */
export async function probeEngine(docker: DockerClients): Promise<EngineStatus> {
  try {
    const v = (await docker.quick.version()) as { Version?: string; ApiVersion?: string; Os?: string; Arch?: string };
    return { ok: true, version: v.Version ?? 'unknown', apiVersion: v.ApiVersion ?? 'unknown', os: `${v.Os ?? '?'}/${v.Arch ?? '?'}` };
  } catch (e) {
    const failure = classifyDockerError(e);
    return { ok: false, code: failure.kind === 'unreachable' ? failure.code : failure.kind, message: failure.message };
  }
}

export type ImageLookup =
  | { ok: true; id: string; size: number }
  | { ok: false; reason: 'missing' | 'unreachable' | 'error'; message: string };

/** The content-addressed ID (`sha256:...`) of a local image, by name or ID. Never pulls. */
export async function lookupImage(docker: DockerClients, name: string): Promise<ImageLookup> {
  try {
    const info = await docker.quick.getImage(name).inspect();
    return { ok: true, id: info.Id, size: info.Size };
  } catch (e) {
    const failure = classifyDockerError(e);
    if (failure.kind === 'not-found') return { ok: false, reason: 'missing', message: `image "${name}" does not exist in the Docker engine` };
    if (failure.kind === 'unreachable') return { ok: false, reason: 'unreachable', message: `Docker engine not reachable (${failure.message})` };
    return { ok: false, reason: 'error', message: failure.message };
  }
}

/** The hint for an image that is not there. */
export function missingImageHint(name: string): string {
  return `build or load it first (docker build -t ${name} ..., or docker load -i IMAGE.tar); orchestrator never pulls images, so a run cannot silently change what it runs`;
}
