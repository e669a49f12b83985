import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, yamlLines } from '../integration/harness.js';

afterEach(cleanupProjects);

describe('sweep sharing and limits', () => {
  it('builds a stage marked absolute_paths once for variants whose inputs to it are equal, at one canonical root', async () => {
    const p = createProject({ 'params.yaml': yamlLines('x: 0', 'seed: 1') });
    p.write(
      'pipeline.yaml',
      yamlLines(
        'stages:',
        '  shared:',
        `    cmd: echo x >> ${p.dir}/.runs/shared && echo \${seed} > s.txt`,
        '    params: [seed]',
        '    outs: [s.txt]',
        '  embeds_root:',
        `    cmd: echo x >> ${p.dir}/.runs/embeds_root && pwd > root.txt`,
        '    params: [seed]',
        '    outs: [root.txt]',
        '    absolute_paths: true',
        'sweeps:',
        '  s:',
        '    axes: {x: [1, 2, 3]}',
      ),
    );
    await p.runOk(['sweep', 'run', 's', '-j', '2']);
    // Before issue 17 it ran once per variant workspace (3 times), each writing its own path.
    expect(p.counts('shared', 'embeds_root')).toEqual({ shared: 1, embeds_root: 1 });
    const roots = [1, 2, 3].map((x) => p.read(`.orchestrator/sweeps/s/x=${x}/root.txt`));
    expect(new Set(roots).size).toBe(1);
    expect(roots[0]).toMatch(new RegExp(`^${p.abs('.orchestrator/stage-roots/embeds_root-')}[0-9a-f]{16}\n$`));
    // The directory its outputs name stays, with the outputs in it.
    expect(p.read(`${roots[0]!.trim().slice(p.dir.length + 1)}/root.txt`)).toBe(roots[0]);
  });

  it('keeps every variant within the resource capacities', async () => {
    const p = createProject({ 'params.yaml': yamlLines('x: 0') });
    // Each execution holds the license: it creates a lock directory and fails if another holds it.
    const hold = `mkdir ${p.dir}/license.held || exit 9; sleep 0.1; rmdir ${p.dir}/license.held`;
    p.write(
      'pipeline.yaml',
      yamlLines(
        'resources: {vivado_license: 1}',
        'stages:',
        '  synth:',
        `    cmd: ${hold} && echo \${x} > out.txt`,
        '    params: [x]',
        '    outs: [out.txt]',
        '    resources: {vivado_license: 1}',
        'sweeps:',
        '  s:',
        '    axes: {x: "range(0, 6)"}',
      ),
    );
    const r = await p.runOk(['sweep', 'run', 's', '-j', '4']);
    expect(r.stdout).toContain('6 succeeded');
    const impossible = await p.run(['sweep', 'run', 's', '--resources', 'vivado_license=0']);
    expect(impossible.code).toBe(2);
    expect(impossible.stderr).toContain('requests vivado_license: 1, more than the 0 available');
  });
});
