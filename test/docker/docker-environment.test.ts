/**
 * The Docker executor describes the environment a command sees (image ID, declared env) as data:
 * a missing image is a typed problem in the plan, never text standing in for an image ID.
 * Real engine (.ci/setup.sh).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, tick, yamlLines } from '../integration/harness.js';
import { BUSYBOX, containersOf, docker, imageId, requireDocker } from './docker-env.js';

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

  it('tools: probes run in a container of the stage image with its env; versions go to the lock; no container is left', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  s:',
        '    executor: docker',
        `    container: {image: ${BUSYBOX}, env: {TOOL_V: "7"}}`,
        '    tools: {shell: readlink /bin/sh, mine: echo tool $TOOL_V}',
        `    cmd: ${tick('s')} && echo ok > o.txt`,
        '    outs: [o.txt]',
      ),
    });
    await p.runOk(['repro']);
    expect(p.lock().stages.s).toMatchObject({ tools: { shell: { version: 'busybox' }, mine: { version: 'tool 7' } } });
    expect(containersOf(p.dir)).toEqual([]);
    await p.runOk(['repro']);
    expect(p.runs('s')).toBe(1);
  });
});
