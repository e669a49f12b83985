import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../integration/harness.js';
import { nativeDialect } from '../../src/exec/local/dialects.js';
import { running, until } from './processes.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

// A real process that owns a runner (the built dist/, as the CLI uses it), starts a long job, and
// exits without stopping it: the runner must see its input close and stop the job.
describe.each(['native', 'sh'])('the %s runner, when its orchestrator exits', (name) => {
  it('stops the jobs it started, and exits itself', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-runner-'));
    dirs.push(dir);
    const script = `
      import { chooseDialect } from ${JSON.stringify(path.join(REPO_ROOT, 'dist/exec/local/dialects.js'))};
      import { Runner } from ${JSON.stringify(path.join(REPO_ROOT, 'dist/exec/local/runner.js'))};
      import { existsSync } from 'node:fs';
      const dialect = chooseDialect(${JSON.stringify(name)});
      if (typeof dialect === 'string') throw new Error(dialect);
      const runner = new Runner(dialect);
      runner.run({ command: 'echo $$ > job.pid; exec sleep 30', dir: ${JSON.stringify(dir)}, log: 'job.log', env: {} }, () => {});
      while (!existsSync(${JSON.stringify(path.join(dir, 'job.pid'))})) await new Promise((r) => setTimeout(r, 5));
      console.log(runner.pgid);
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const runnerPid = Number(r.stdout.trim());
    const jobPid = Number(readFileSync(path.join(dir, 'job.pid'), 'utf8'));
    expect(runnerPid).toBeGreaterThan(0);
    await until(() => !running(jobPid) && !running(runnerPid));
  });
});

describe('the native runner protocol', () => {
  it('refuses a job with a NUL in any field instead of shifting the fields after it', () => {
    const job = { command: 'echo hi', dir: '/tmp', log: '/tmp/x.log', env: { A: '1' } };
    const dialect = nativeDialect('/unused');
    expect(dialect.encode(7, job)).toBe('7\0/tmp\0/tmp/x.log\x001\0A=1\0echo hi\0');
    expect(() => dialect.encode(7, { ...job, command: 'echo a\0b' })).toThrow(/NUL/);
    expect(() => dialect.encode(7, { ...job, env: { A: 'x\0y' } })).toThrow(/NUL/);
  });
});
