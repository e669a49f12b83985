/**
 * The Docker executor describes the environment a command sees (image ID, declared env) as data:
 * a missing image is a typed problem in the plan, never text standing in for an image ID.
 * Real engine (.ci/setup.sh).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, tick, yamlLines } from '../integration/harness.js';
import { BUSYBOX, docker, imageId, requireDocker } from './docker-env.js';

const tags: string[] = [];
beforeAll(() => requireDocker([BUSYBOX]));
afterEach(cleanupProjects);
afterAll(() => {
  for (const t of tags.splice(0)) docker('rmi', t);
});

describe('docker executor: environment description', () => {
  it('an image removed after a run: status shows it as data and in words; repro refuses before running anything', async () => {
    const tag = `orchestrator-test/gone-${process.pid}:${Date.now()}`;
    tags.push(tag);
    expect(docker('tag', BUSYBOX, tag).status).toBe(0);
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  img:', '    executor: docker', `    container: {image: ${tag}}`, `    cmd: ${tick('img')} && echo ok > o.txt`, '    outs: [o.txt]'),
    });
    await p.runOk(['repro']);
    expect(docker('rmi', tag).status).toBe(0);

    const json = JSON.parse((await p.runOk(['status', '--json'])).stdout) as { stages: Array<{ stage: string; action: string; reasons: unknown[] }> };
    expect(json.stages[0]).toMatchObject({
      stage: 'img',
      action: 'run',
      reasons: [{ kind: 'environment-unavailable', old: imageId(BUSYBOX), problem: { kind: 'image-missing', image: tag } }],
    });
    const text = await p.runOk(['status']);
    expect(text.stdout).toContain(`environment changed: ${imageId(BUSYBOX)} -> image ${tag} not found`);

    const r = await p.run(['repro']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`needs image "${tag}", which does not exist in the Docker engine`);
    expect(p.runs('img')).toBe(1);
  });
});
