/**
 * What the Docker tests need from the machine: a real engine and the images test/images/build.sh
 * makes (.ci/setup.sh does both). Without them the tests FAIL with this message; skipping
 * would let a broken CI setup pass silently.
 */
import { spawnSync } from 'node:child_process';

export const BUSYBOX = 'orchestrator-test/busybox:1';
export const PYTHON = 'orchestrator-test/python:1';

export function requireDocker(images: string[] = [BUSYBOX]): void {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' });
  if (info.status !== 0) {
    throw new Error(`no Docker engine answers (docker info: ${(info.stderr || info.error?.message || '').trim()}); run .ci/setup.sh first`);
  }
  for (const image of images) {
    if (docker('image', 'inspect', image).status !== 0) throw new Error(`test image ${image} is missing; run test/images/build.sh`);
  }
}

export function docker(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Ids of every container (running or not) labelled with this workspace root. */
export function containersOf(root: string): string[] {
  const r = docker('ps', '-a', '-q', '--filter', `label=orchestrator.root=${root}`);
  if (r.status !== 0) throw new Error(`docker ps failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

export function imageId(name: string): string {
  return docker('image', 'inspect', '--format', '{{.Id}}', name).stdout.trim();
}
