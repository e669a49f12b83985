/**
 * bin/orchestrator.js run as a program (npx, npm's bin links): /bin/sh replaces itself with node and
 * sets glibc's MALLOC_TOP_PAD_ for the orchestrator's own process (see the file's comment), unless
 * the user set it; stage commands get the environment the user had.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const bin = path.resolve(import.meta.dirname, '../../bin/orchestrator.js');
const execFileAsync = promisify(execFile);
const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** The environment a process started with, as /proc shows it. */
const startEnv = (pid: number): Map<string, string> =>
  new Map(
    readFileSync(`/proc/${pid}/environ`, 'utf8')
      .split('\0')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );

/**
 * Runs `repro` through the launcher with a stage that records its environment and then waits on a
 * FIFO; while it waits, reads the orchestrator's starting environment from /proc (the launcher
 * `exec`s, so the pid spawned is node's). Returns both.
 */
async function run(env: NodeJS.ProcessEnv): Promise<{ orchestrator: Map<string, string>; stage: string }> {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-launcher-')));
  roots.push(root);
  execFileSync('mkfifo', [path.join(root, 'go')]);
  writeFileSync(path.join(root, 'pipeline.yaml'), 'stages:\n  s:\n    cmd: env > env.txt && cat go > out.txt\n    outs: [out.txt, env.txt]\n');
  const child = spawn(bin, ['-C', root, 'repro'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // The stage is waiting on the FIFO once opening it for writing returns.
  const fifo = await open(path.join(root, 'go'), 'w');
  const orchestrator = startEnv(child.pid!);
  await fifo.write('done\n');
  await fifo.close();
  expect(await exited, output).toBe(0);
  return { orchestrator, stage: readFileSync(path.join(root, 'env.txt'), 'utf8') };
}

describe('bin/orchestrator.js as a program', () => {
  it('starts node with MALLOC_TOP_PAD_ set, and stage commands do not inherit it', async () => {
    const { MALLOC_TOP_PAD_: _, ...env } = process.env;
    const { orchestrator, stage } = await run(env);
    expect(orchestrator.get('MALLOC_TOP_PAD_')).toBe(String(64 * 1024 * 1024));
    expect(stage).not.toMatch(/^MALLOC_TOP_PAD_=/m);
    expect(stage).not.toMatch(/^ORCHESTRATOR_MALLOC_TOP_PAD=/m);
  });

  it("keeps the user's own MALLOC_TOP_PAD_, for itself and for stage commands", async () => {
    const { orchestrator, stage } = await run({ ...process.env, MALLOC_TOP_PAD_: '4096' });
    expect(orchestrator.get('MALLOC_TOP_PAD_')).toBe('4096');
    expect(stage).toMatch(/^MALLOC_TOP_PAD_=4096$/m);
  });

  it('passes arguments through unchanged and exits with the CLI status', async () => {
    const { stdout } = await execFileAsync(bin, ['--version']);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const bad = await execFileAsync(bin, ['-C', '/nonexistent dir', 'status']).catch((e: { code: number; stderr: string }) => e);
    expect('code' in bad ? bad.code : 0).toBe(2);
  });
});
