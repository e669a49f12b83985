/**
 * A Slurm stage with `container:` runs `docker run` of the image on the node with the stage's env and
 * `container.env`: both are part of what the command sees, so both are part of its fingerprint.
 * Real cluster (.ci/setup.sh) and real Docker engine; the node is this machine.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, containersOf, docker, requireDocker } from '../docker/docker-env.js';
import { cleanupProjects, createProject, tick, yamlLines, type Project } from '../integration/harness.js';
import { requireSlurm, scancelAll } from './slurm-env.js';

const projects: Project[] = [];
beforeAll(() => {
  requireSlurm();
  requireDocker([BUSYBOX]);
});
afterEach(() => {
  for (const p of projects.splice(0)) {
    scancelAll(p.dir);
    for (const id of containersOf(p.dir)) docker('rm', '-f', id);
  }
  cleanupProjects();
});

const pipeline = (flavour: string) =>
  yamlLines(
    'stages:',
    '  build:',
    '    executor: slurm',
    '    slurm: {partition: debug, time: 5}',
    `    container: {image: ${BUSYBOX}, env: {FLAVOUR: ${flavour}}}`,
    `    cmd: ${tick('build')} && echo $FLAVOUR > out.txt`,
    // A dep, so the run-cache applies (DVC's rule: a stage without deps is never restored from it).
    '    deps: [recipe.txt]',
    '    outs: [out.txt]',
  );

describe('slurm executor with a container', () => {
  it('changing container.env reruns the stage; changing it back restores that build from the run-cache', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline('vanilla'), 'recipe.txt': 'ice cream\n' });
    projects.push(p);
    await p.runOk(['repro']);
    expect(p.read('out.txt')).toBe('vanilla\n');
    expect(p.lock().stages.build).toMatchObject({ env: { FLAVOUR: 'vanilla' } });

    p.write('pipeline.yaml', pipeline('chocolate'));
    const status = await p.runOk(['status']);
    expect(status.stdout).toContain('env FLAVOUR changed: vanilla -> chocolate');
    await p.runOk(['repro']);
    expect(p.read('out.txt')).toBe('chocolate\n');
    expect(p.runs('build')).toBe(2);

    // Back to the first value: the run-cache hands out the build made with it, not the other one.
    p.write('pipeline.yaml', pipeline('vanilla'));
    await p.runOk(['repro']);
    expect(p.read('out.txt')).toBe('vanilla\n');
    expect(p.runs('build')).toBe(2);
  });
});

describe('tools: on Slurm', () => {
  it('probes run on the submit host: after slurm.setup without a container, in the image with one', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  plain:',
        '    executor: slurm',
        '    slurm: {partition: debug, time: 5, setup: "export TOOL_V=3"}',
        '    tools: {t: echo t-$TOOL_V}',
        `    cmd: ${tick('plain')} && echo p > p.txt`,
        '    outs: [p.txt]',
        '  boxed:',
        '    executor: slurm',
        '    slurm: {partition: debug, time: 5}',
        `    container: {image: ${BUSYBOX}}`,
        '    tools: {shell: readlink /bin/sh}',
        `    cmd: ${tick('boxed')} && echo b > b.txt`,
        '    outs: [b.txt]',
      ),
    });
    projects.push(p);
    await p.runOk(['repro']);
    expect(p.lock().stages.plain).toMatchObject({ tools: { t: { version: 't-3' } } });
    expect(p.lock().stages.boxed).toMatchObject({ tools: { shell: { version: 'busybox' } } });
  });
});
