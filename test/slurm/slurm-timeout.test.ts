/**
 * A job over its time limit is reported as TIMEOUT. Slurm limits are whole minutes and its
 * controller checks them every 30 s, so this takes 60-90 s; it has a file of its own so it runs
 * alongside the other Slurm tests (the test cluster has OverTimeLimit=0, KillWait=5).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allOutput, cleanupProjects, createProject, yamlLines, type Project } from '../integration/harness.js';
import { jobsOf, requireSlurm, scancelAll } from './slurm-env.js';

let p: Project | undefined;
beforeAll(() => requireSlurm());
afterEach(() => {
  if (p) scancelAll(p.dir);
  cleanupProjects();
});

describe('slurm time limit', () => {
  it('reports a job killed at its time limit as TIMEOUT', { timeout: 200_000 }, async () => {
    p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  slow:', '    executor: slurm', '    slurm: {time: "0:01"}', '    cmd: sleep 600', '    outs: [never.txt]'),
    });
    const r = await p.runOk(['repro'], 1, { timeoutMs: 190_000 });
    expect(allOutput(r)).toMatch(/slow: failed: job \d+ TIMEOUT on localhost: killed by Slurm at its time limit \(00:01:00\); raise slurm\.time/);
    expect(jobsOf(p.dir).map((j) => j.state)).toEqual(['TIMEOUT']);
  });
});
