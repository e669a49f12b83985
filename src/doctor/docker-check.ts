import { stagesRunBy } from '../exec/placement.js';
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import { connectDocker, dockerHostDescription, unreachableHint } from '../exec/docker/client.js';
import { stageMounts } from '../exec/docker/container-config.js';
import { lookupImage, missingImageHint, probeEngine } from '../exec/docker/probe.js';
import type { CheckResult, DoctorCheck } from './check.js';

/**
 * The Docker side: whether an engine answers (and which version), every image the pipeline's Docker
 * stages need, and every mount source. Without Docker stages an engine that is down is no problem.
 */
export const dockerCheck: DoctorCheck = async (ctx) => {
  const stages = stagesRunBy('docker', ctx.pipeline?.stages ?? []);
  const where = dockerHostDescription(ctx.env);
  const rows: CheckResult[] = [];
  let docker;
  try {
    docker = await connectDocker();
  } catch (e) {
    return [{ name: 'Docker client', status: 'fail', detail: `dockerode could not be loaded: ${(e as Error).message}`, hint: 'run npm ci' }];
  }
  const engine = await probeEngine(docker);
  if (engine.ok) {
    rows.push({ name: 'Docker engine', status: 'ok', detail: `${engine.version} (API ${engine.apiVersion}, ${engine.os}) at ${where}` });
  } else if (stages.length === 0) {
    rows.push({ name: 'Docker engine', status: 'skip', detail: `not reachable at ${where}; no stage uses executor docker` });
  } else {
    rows.push({ name: 'Docker engine', status: 'fail', detail: `not reachable at ${where}: ${engine.message}`, hint: unreachableHint(engine.code, ctx.env) });
  }

  for (const [image, users] of groupBy(stages, (s) => s.container?.image)) {
    const usedBy = `used by ${list(users.map((s) => s.name))}`;
    if (image === undefined) {
      rows.push({ name: 'image (none)', status: 'fail', detail: `no container.image, ${usedBy}`, hint: 'set container: {image: NAME:TAG} in the stage or under defaults' });
      continue;
    }
    if (!engine.ok) {
      rows.push({ name: `image ${image}`, status: 'skip', detail: `engine not reachable, ${usedBy}` });
      continue;
    }
    const lookup = await lookupImage(docker, image);
    rows.push(
      lookup.ok
        ? { name: `image ${image}`, status: 'ok', detail: `${lookup.id.slice(0, 19)}… ${(lookup.size / 1e6).toFixed(0)} MB, ${usedBy}` }
        : { name: `image ${image}`, status: 'fail', detail: `${lookup.reason === 'missing' ? 'not found' : lookup.message}, ${usedBy}`, hint: missingImageHint(image) },
    );
  }

  const mounts = new Map<string, { readOnly: boolean; relative: boolean; stages: string[] }>();
  for (const s of stages) {
    const parsed = stageMounts(s.container, ctx.root, os.homedir());
    if (!parsed.ok) {
      rows.push({ name: `mounts of ${s.name}`, status: 'fail', detail: parsed.error, hint: 'write mounts as host[:container][:ro]' });
      continue;
    }
    for (const m of parsed.value) {
      const entry = mounts.get(m.source) ?? { readOnly: m.readOnly, relative: m.relative, stages: [] };
      entry.stages.push(s.name);
      mounts.set(m.source, entry);
    }
  }
  for (const [source, entry] of mounts) {
    const kind = existsSync(source) ? (statSync(source).isDirectory() ? 'directory' : 'file') : undefined;
    const usedBy = `${entry.readOnly ? 'read-only, ' : ''}used by ${list(entry.stages)}`;
    if (kind) rows.push({ name: `mount ${source}`, status: 'ok', detail: `${kind}, ${usedBy}` });
    // Inside the workspace it may be an output of an earlier stage.
    else if (entry.relative) rows.push({ name: `mount ${source}`, status: 'warn', detail: `does not exist yet, ${usedBy}`, hint: 'fine if an earlier stage creates it' });
    else rows.push({ name: `mount ${source}`, status: 'fail', detail: `does not exist, ${usedBy}`, hint: 'create it or fix the path in container.mounts' });
  }
  return rows;
};

function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}

function list(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}
