import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, yamlLines } from './harness.js';

afterEach(cleanupProjects);

// Issue 14: `${env.NAME}` resolved in `status` but failed in `doctor`, which loaded the pipeline
// without the environment.
describe('doctor resolves the pipeline with the environment', () => {
  it('accepts ${env.NAME} exactly when status does', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  hello:',
        '    cmd: echo hi > out.txt',
        '    env: {TOOLS: "${env.ORCH_IT_TOOLS}"}',
        '    outs: [out.txt]',
      ),
    });
    const env = { ORCH_IT_TOOLS: '/opt/tools' };
    await p.runOk(['status'], 0, { env });
    const r = await p.run(['doctor', '--json'], { env });
    const doc = JSON.parse(r.stdout) as { checks: { name: string; status: string; detail: string }[] };
    expect(doc.checks.find((c) => c.name === 'pipeline.yaml')).toMatchObject({ status: 'ok' });
    expect(r.stderr).not.toMatch(/ORCH_IT_TOOLS/);

    // Unset, both report it (the check is real, not skipped).
    const unset = await p.run(['doctor', '--json'], { env: { ORCH_IT_TOOLS: undefined } });
    expect((JSON.parse(unset.stdout) as { checks: { name: string; status: string }[] }).checks.find((c) => c.name === 'pipeline.yaml')).toMatchObject({ status: 'fail' });
    expect(unset.stderr).toMatch(/ORCH_IT_TOOLS/);
  });
});
