import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, isAlive, tick, waitFor, yamlLines, type Project } from './harness.js';

/** Processes the tests started (through stages); SIGKILLed after each test whatever happened. */
const strays: number[] = [];
afterEach(() => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  cleanupProjects();
});

function pidIn(p: Project, file: string): number {
  const pid = Number(p.read(file).trim());
  strays.push(pid);
  return pid;
}

const hasPid = (p: Project, file: string) => p.exists(file) && p.read(file).trim() !== '';

/**
 * A stage whose command starts a grandchild (`sleep` in the background) and a process that leaves
 * its process group (`setsid`), records their pids, then waits for them.
 */
const treePipeline = yamlLines(
  'stages:',
  '  tree:',
  `    cmd: ${tick('tree')} && (sleep 300 & echo $! > grandchild.pid; wait) & setsid sh -c 'echo $$ > escapee.pid; exec sleep 300' & wait; echo done > out.txt`,
  '    outs: [out.txt]',
);

describe('cancelling a local stage', () => {
  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s stops its whole tree (a grandchild and a setsid escapee), commits nothing, exits 130', async (signal) => {
    const p = createProject({ 'pipeline.yaml': treePipeline });
    const bg = p.start(['repro']);
    await waitFor(() => hasPid(p, 'grandchild.pid') && hasPid(p, 'escapee.pid'), 'the stage to start its processes');
    const grandchild = pidIn(p, 'grandchild.pid');
    const escapee = pidIn(p, 'escapee.pid');
    expect(isAlive(grandchild) && isAlive(escapee)).toBe(true);
    bg.child.kill(signal);
    const r = await bg.result;
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(isAlive(grandchild), 'the grandchild must be stopped').toBe(false);
    expect(isAlive(escapee), 'the process that left the group must be stopped').toBe(false);
    expect(p.exists('out.txt')).toBe(false);
    expect(p.lockText() ?? '').not.toMatch(/tree/);
  });
});

/**
 * `slow` records its shell's pid and, on its first invocation only, starts a grandchild, signals
 * `started` and blocks until the test creates `release`. It reads `input.txt`.
 */
const slowPipeline = yamlLines(
  'stages:',
  '  slow:',
  `    cmd: ${tick('slow')} && echo $$ > slow.pid && if [ "$(wc -l < .runs/slow)" -eq 1 ]; then sleep 300 & echo $! > grandchild.pid; touch started; while [ ! -e release ]; do sleep 0.02; done; fi; cat input.txt > out.txt`,
  '    deps: [input.txt]',
  '    outs: [out.txt]',
);

/** Starts a repro, waits until `slow` blocks, SIGKILLs the orchestrator; returns the stage's shell pid and its grandchild. */
async function killDuringSlowStage(p: Project): Promise<{ shell: number; grandchild: number }> {
  const bg = p.start(['repro']);
  await waitFor(() => p.exists('started') && hasPid(p, 'grandchild.pid'), 'the stage to start');
  const ids = { shell: pidIn(p, 'slow.pid'), grandchild: pidIn(p, 'grandchild.pid') };
  bg.child.kill('SIGKILL');
  await bg.result;
  return ids;
}

function logsText(p: Project): string {
  return p
    .listFiles('.orchestrator/logs')
    .map((f) => p.read(`.orchestrator/logs/${f}`))
    .join('\n');
}

describe('a local stage outlives a killed orchestrator', () => {
  it('the next repro adopts it when its inputs are unchanged: it runs once, its output is committed', async () => {
    const p = createProject({ 'pipeline.yaml': slowPipeline, 'input.txt': 'one\n' });
    const { shell } = await killDuringSlowStage(p);
    expect(isAlive(shell), 'the stage keeps running without its orchestrator').toBe(true);

    const next = p.start(['repro']);
    await waitFor(() => /# reattached to \d+/.test(logsText(p)), 'the next repro to adopt the stage');
    p.write('release', '');
    const r = await next.result;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(p.runs('slow')).toBe(1);
    expect(p.read('out.txt')).toBe('one\n');
    expect(p.lockText()).toMatch(/out\.txt/);
    const status = await p.runOk(['status', '--json']);
    expect(JSON.parse(status.stdout).upToDate).toBe(true);
    // The execution's script, status and record files go once it is over.
    expect(p.listFiles('.orchestrator/local')).toEqual([]);
  });

  it('the next repro stops its whole group and reruns it when an input changed', async () => {
    const p = createProject({ 'pipeline.yaml': slowPipeline, 'input.txt': 'one\n' });
    const { shell, grandchild } = await killDuringSlowStage(p);
    expect(isAlive(shell) && isAlive(grandchild)).toBe(true);
    p.write('input.txt', 'two\n');

    const r = await p.run(['repro']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(isAlive(shell), 'the stale execution must be stopped').toBe(false);
    expect(isAlive(grandchild), 'its grandchild too').toBe(false);
    expect(p.runs('slow')).toBe(2);
    expect(p.read('out.txt')).toBe('two\n');
    expect(p.lockText()).toMatch(/out\.txt/);
  });
});
