import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, cleanupProjects, createProject, yamlLines } from '../integration/harness.js';

afterEach(cleanupProjects);

/** Runs the CLI in a pseudo-terminal (util-linux `script`), so it sees a TTY; resolves with what the terminal got. */
function runInPty(args: string[], cwd: string): Promise<{ code: number | null; screen: string }> {
  const command = ['node', CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    // A pseudo-terminal starts 0 columns wide: give it a real terminal's size first.
    const child = spawn('script', ['-qfec', `stty cols 120 rows 40; ${command}`, '/dev/null'], { cwd, env: { ...process.env, TERM: 'xterm' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => (screen += d.toString()));
    child.stderr.on('data', (d: Buffer) => (screen += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
  });
}

// Escape sequences (colours, cursor moves, erase line) out: what a reader of the screen sees.
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '\n');

describe('sweep run on a terminal', () => {
  it('shows one compact row per variant (stages done/total, state, failures) and a summary, no commands', async () => {
    const p = createProject({ 'params.yaml': yamlLines('x: 0') });
    p.write(
      'pipeline.yaml',
      yamlLines(
        'stages:',
        '  build:',
        "    cmd: '[ ${x} -ne 3 ] || { echo broken >&2; exit 4; }; echo ${x} > b.txt'",
        '    params: [x]',
        '    outs: [b.txt]',
        '  report:',
        '    cmd: cat b.txt > r.txt',
        '    deps: [b.txt]',
        '    outs: [r.txt]',
        'sweeps:',
        '  s:',
        '    axes: {x: [1, 2, 3]}',
      ),
    );
    const r = await runInPty(['-C', p.dir, 'sweep', 'run', 's', '-j', '2'], p.dir);
    expect(r.code).toBe(1);
    const screen = plain(r.screen);
    // One row per variant with its count of stages done and its final state.
    expect(screen).toMatch(/x=1 {2}2\/2 {2}succeeded/);
    expect(screen).toMatch(/x=2 {2}2\/2 {2}succeeded/);
    expect(screen).toMatch(/x=3 {2}0\/2 {2}failed .*1 failed/);
    // The summary row, and the closing line.
    expect(screen).toMatch(/3\/3 variants done, 1 failed/);
    expect(screen).toContain('sweep s: 2 succeeded, 1 failed; results: orchestrator sweep show s');
    // Compact: no command lines, no per-stage "started" lines.
    expect(screen).not.toContain('echo ${x}');
    expect(screen).not.toContain('started:');
  }, 120_000);
});
