/**
 * `tools:`: version probes whose output is part of a stage's fingerprint. The tools here are small
 * shell scripts put on PATH by the test (stand-ins for Vivado & co.); each appends to a file when it
 * is asked, so the test counts the probes.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allOutput, cleanupProjects, createProject, tick, yamlLines } from './harness.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  cleanupProjects();
});

/** A directory with a `vivado` stand-in that prints `Vivado v<version>` and a build line, counting its calls. */
function toolDir(version: string): { dir: string; calls: () => number; setVersion: (v: string) => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-tools-'));
  dirs.push(dir);
  mkdirSync(path.join(dir, 'bin'));
  const script = path.join(dir, 'bin', 'vivado');
  const setVersion = (v: string) => {
    writeFileSync(script, `#!/bin/sh\necho x >> ${dir}/calls\nprintf 'Vivado v${v} (64-bit)\\nSW Build 1 (stand-in)\\n'\n`);
    chmodSync(script, 0o755);
  };
  setVersion(version);
  const calls = () => {
    try {
      return readFileSync(path.join(dir, 'calls'), 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  return { dir, calls, setVersion };
}

const withPath = (dir: string) => ({ env: { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}` } });

describe('tools:', () => {
  it('records the version in the lock, reruns when it changes (status says which), restores when it changes back', async () => {
    const tool = toolDir('2022.2');
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  synth:',
        `    cmd: ${tick('synth')} && echo bit > bit.txt`,
        '    tools: {vivado: vivado -version}',
        // A dep, so the run-cache applies (DVC's rule: a stage without deps is never restored from it).
        '    deps: [design.v]',
        '    outs: [bit.txt]',
      ),
      'design.v': 'module top; endmodule\n',
    });
    await p.runOk(['repro'], 0, withPath(tool.dir));
    expect(p.runs('synth')).toBe(1);
    expect(p.lock().stages.synth).toMatchObject({ tools: { vivado: { version: 'Vivado v2022.2 (64-bit)', hash: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
    await p.runOk(['repro'], 0, withPath(tool.dir));
    expect(p.runs('synth')).toBe(1);

    tool.setVersion('2023.1');
    const status = await p.runOk(['status'], 0, withPath(tool.dir));
    expect(status.stdout).toContain('synth: will run');
    expect(status.stdout).toContain('tool changed: vivado Vivado v2022.2 (64-bit) -> Vivado v2023.1 (64-bit)');
    const json = JSON.parse((await p.runOk(['status', '--json'], 0, withPath(tool.dir))).stdout);
    expect(json.stages[0].reasons).toEqual([{ kind: 'tool-changed', tool: 'vivado', old: 'Vivado v2022.2 (64-bit)', new: 'Vivado v2023.1 (64-bit)' }]);
    await p.runOk(['repro'], 0, withPath(tool.dir));
    expect(p.runs('synth')).toBe(2);

    // Back to the first version: that build comes from the run-cache.
    tool.setVersion('2022.2');
    const back = await p.runOk(['repro'], 0, withPath(tool.dir));
    expect(back.stdout).toContain('synth: restored from the run-cache');
    expect(p.runs('synth')).toBe(2);
  });

  it('a stage without tools keeps its lock and fingerprint as before tools existed', async () => {
    const p = createProject({ 'pipeline.yaml': yamlLines('stages:', '  s:', `    cmd: ${tick('s')} && echo a > a.txt`, '    outs: [a.txt]') });
    await p.runOk(['repro']);
    expect(p.lockText()).not.toContain('tools');
  });

  it('each distinct probe runs once per run, however many stages declare it; defaults.tools applies to every stage', async () => {
    const tool = toolDir('2022.2');
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'defaults:',
        '  tools: {vivado: vivado -version}',
        'stages:',
        ...['a', 'b', 'c'].flatMap((s) => [`  ${s}:`, `    cmd: ${tick(s)} && echo ${s} > ${s}.txt`, `    outs: [${s}.txt]`]),
        '  d:',
        `    cmd: ${tick('d')} && echo d > d.txt`,
        '    tools: {shell: echo sh-1}',
        '    outs: [d.txt]',
      ),
    });
    await p.runOk(['repro', '-j', '4'], 0, withPath(tool.dir));
    expect(tool.calls()).toBe(1);
    expect(p.lock().stages.d).toMatchObject({ tools: { vivado: { version: 'Vivado v2022.2 (64-bit)' }, shell: { version: 'sh-1' } } });
    await p.runOk(['status'], 0, withPath(tool.dir));
    expect(tool.calls()).toBe(2);
  });

  it('a failing tool command fails that stage with the tool, its exit code and output; other stages run; status does not crash', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines(
        'stages:',
        '  synth:',
        `    cmd: ${tick('synth')} && echo bit > bit.txt`,
        '    tools: {vivado: no-such-vivado -version}',
        '    outs: [bit.txt]',
        '  other:',
        `    cmd: ${tick('other')} && echo o > o.txt`,
        '    outs: [o.txt]',
      ),
    });
    const r = await p.run(['repro', '-k']);
    expect(r.code).toBe(1);
    expect(allOutput(r)).toMatch(/synth: failed: tool "vivado": `no-such-vivado -version` exited with code 127: .*not found/);
    expect(allOutput(r)).not.toMatch(/internal error|^\s+at /m);
    expect(p.runs('synth')).toBe(0);
    expect(p.runs('other')).toBe(1);
    const status = await p.run(['status']);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/synth: will run\n(\s+.*\n)*\s+tool "vivado": `no-such-vivado -version` exited with code 127/);
  });

  it('a tool that prints nothing on stdout is an error saying so', async () => {
    const p = createProject({
      'pipeline.yaml': yamlLines('stages:', '  s:', `    cmd: ${tick('s')} && echo a > a.txt`, '    tools: {java: echo java 17 >&2}', '    outs: [a.txt]'),
    });
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    expect(allOutput(r)).toContain('tool "java": `echo java 17 >&2` exited with code 0: printed nothing on stdout (add 2>&1 if the tool prints its version on stderr)');
  });

  it('a sweep probes each tool once for all its variants', async () => {
    const p = createProject({ 'params.yaml': 'n: 0\n' });
    p.write('tool.sh', `echo x >> ${p.dir}/probe-calls\necho probe 1\n`);
    p.write(
      'pipeline.yaml',
      yamlLines(
        'stages:',
        '  build:',
        `    cmd: echo x >> ${p.dir}/.runs/build && echo \${n} > out.txt`,
        '    params: [n]',
        `    tools: {probe: sh ${p.dir}/tool.sh}`,
        '    outs: [out.txt]',
        'sweeps:',
        '  s:',
        '    axes:',
        '      n: [1, 2, 3]',
      ),
    );
    await p.runOk(['sweep', 'run', 's', '-j', '3']);
    expect(p.runs('build')).toBe(3);
    expect(p.read('probe-calls')).toBe('x\n');
  });
});
