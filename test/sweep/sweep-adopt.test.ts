import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, waitFor, yamlLines, type Project } from '../integration/harness.js';
import type { ShowJson } from './fixtures.js';

let project: Project | undefined;
afterEach(() => {
  // Lets stages a failed test left blocking finish before their directory goes away.
  project?.write('release', '');
  project = undefined;
  cleanupProjects();
});

/** Every variant's stage logs, concatenated. */
function variantLogs(p: Project): string {
  return p
    .listFiles('.orchestrator/sweeps')
    .filter((f) => f.includes('/.orchestrator/logs/'))
    .map((f) => p.read(`.orchestrator/sweeps/${f}`))
    .join('\n');
}

describe('a sweep restarted after its orchestrator died (issue 14)', () => {
  it('adopts the stages still running instead of stopping and rerunning them, as repro does', async () => {
    const p = createProject({ 'params.yaml': yamlLines('x: 0') });
    project = p;
    // On its first invocation per variant, `work` blocks until the test creates `release`.
    p.write(
      'pipeline.yaml',
      yamlLines(
        'stages:',
        '  work:',
        `    cmd: echo x >> ${p.dir}/.runs/work_\${x} && if [ "$(wc -l < ${p.dir}/.runs/work_\${x})" -eq 1 ]; then touch ${p.dir}/started_\${x}; while [ ! -e ${p.dir}/release ]; do sleep 0.02; done; fi; echo \${x} > out.txt`,
        '    params: [x]',
        '    outs: [out.txt]',
        'sweeps:',
        '  s:',
        '    axes: {x: [1, 2]}',
      ),
    );
    const first = p.start(['sweep', 'run', 's', '-j', '2']);
    await waitFor(() => p.exists('started_1') && p.exists('started_2'), 'both variants to start their stage');
    first.child.kill('SIGKILL');
    await first.result;

    const second = p.start(['sweep', 'run', 's', '-j', '2']);
    await waitFor(() => (variantLogs(p).match(/# reattached to \d+/g) ?? []).length === 2, `the restarted sweep to adopt both stages\n${variantLogs(p)}`);
    p.write('release', '');
    const r = await second.result;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // Each execution ran once: the restarted sweep waited for it and committed its output.
    expect(p.counts('work_1', 'work_2')).toEqual({ work_1: 1, work_2: 1 });
    const show = JSON.parse((await p.runOk(['sweep', 'show', 's', '--json'])).stdout) as ShowJson;
    expect(show.variants.map((v) => v.status)).toEqual(['succeeded', 'succeeded']);
    expect(p.read('.orchestrator/sweeps/s/x=2/out.txt')).toBe('2\n');
  });
});
