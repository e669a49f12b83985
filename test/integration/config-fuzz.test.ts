/**
 * Seeded fuzz of hostile and malformed pipelines and params (issue 12). Every generated project
 * holds exactly one thing that must be refused, mixed into otherwise valid stages whose commands
 * would write outside the workspace if they ever ran. For each: `repro` exits 2 with a
 * `FILE:LINE:COL:` diagnostic, never "internal error", leaves the workspace exactly as it was, and a
 * sentinel tree beside the workspace (which the cases point at: `../sentinel`, absolute paths,
 * symlinks) keeps its hash.
 *
 * Reproduce a failure with the seed it prints: `CONFIG_FUZZ_SEED=<seed> npx vitest run test/integration/config-fuzz.test.ts`.
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seeded } from '../core/seeded.js';
import { Project } from './harness.js';

const SEED = Number(process.env.CONFIG_FUZZ_SEED ?? 20261203);
const CASES = Number(process.env.CONFIG_FUZZ_CASES ?? 320);
const PARALLEL = 2;

interface Case {
  id: number;
  what: string;
  files: Record<string, string>;
  symlinks?: Record<string, string>;
}

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

/** Generates case `id`; `sentinel` is the absolute path of the tree beside the workspaces. */
function generate(rng: Rng, id: number, sentinel: string): Case {
  const q = (s: string) => JSON.stringify(s);
  const wdir = rng() < 0.3 ? '    wdir: sub\n' : '';
  /** From the stage's wdir to the directory holding the workspace (and the sentinel). */
  const up = wdir ? '../..' : '..';
  /** From the stage's wdir to the workspace root. */
  const root = wdir ? '../' : '';
  const badOut = [
    '.', '""', './', up, `${up}/sentinel`, `${up}/sentinel/a.txt`, q(sentinel), q(`${sentinel}/a.txt`), '/tmp', '.git', '.git/hooks', '.orchestrator',
    '.orchestrator/cache', '.dvc', 'sub/..', 'sub/../..', `out/../${up}/sentinel`, q('a\0b'), `b/${'c'.repeat(256)}`, `${'d/'.repeat(2100)}e`,
    ...['pipeline.yaml', 'params.yaml', 'dvc.yaml', 'pipeline.lock', 'dvc.lock', 'link/x', 'link', 'in.txt/x'].map((f) => `${root}${f}`),
  ];
  const badDep = [`${up}/sentinel/a.txt`, q(`${sentinel}/a.txt`), `${up}/..`, `${root}link/a.txt`, q('x\0'), `${'p/'.repeat(2100)}q`, `${'r'.repeat(300)}`, `${root}in.txt/y`];
  const badName = ['__proto__', 'a'.repeat(256), 'a/b', 'a b', '"x\\0y"', '"@x"', '""'];
  const badValue = [
    'cmd: 5', 'cmd: [1, [2]]', 'outs: 3', 'deps: {a: b}', 'outz: [o]', 'params: [nope.missing]', `params: [{${up}/sentinel/p.yaml: [a]}]`,
    'cmd: echo ${', 'cmd: echo ${undefined_name}', 'cmd: echo ${a[}', `cmd: echo \${${Array(3000).fill('a').join('.')}}`, 'env: {__proto__: x}', 'resources: {__proto__: 1}',
    'frozen: maybe', 'executor: teleport', 'matrix: {x: [1, 2]}\n    foreach: [1]', 'outs: [{o: {cache: perhaps}}]',
  ];
  const badParams = [
    'a: &x [*x]\n', 'a: &x {b: &y [*x]}\n', `a: ${'['.repeat(int(rng, 1000, 20000))}\n`, 'a: [1, 2\n', 'a: 1\na: 2\n', '- just\n- a list\n', 'a: {b: 1}}\n', 'a:\n\tb: 1\n',
  ];
  const kinds = ['out', 'dep', 'name', 'value', 'params', 'params-link', 'syntax', 'matrix'] as const;
  const kind = pick(rng, kinds);
  // Valid stages around the bad one; any of them running would write into the sentinel.
  const good = (n: number) => `  ok${n}:\n    cmd: echo pwned >> ${sentinel}/pwned\n    deps: [in.txt]\n    outs: [o${n}]\n`;
  const before = Array.from({ length: int(rng, 0, 2) }, (_, i) => good(i)).join('');
  const after = Array.from({ length: int(rng, 0, 2) }, (_, i) => good(i + 10)).join('');
  const bad = (body: string, name = 'bad') => `stages:\n${before}  ${name}:\n    cmd: echo pwned >> ${sentinel}/pwned\n${wdir}${body}${after}`;
  const files: Record<string, string> = { 'in.txt': 'in\n', 'sub/keep.txt': 'k\n', 'params.yaml': 'a: 1\nb: {c: 2}\n' };
  const symlinks: Record<string, string> = { link: sentinel };
  let what: string;
  switch (kind) {
    case 'out': {
      const out = pick(rng, badOut);
      what = `out ${out.slice(0, 40)}`;
      files['pipeline.yaml'] = bad(`    outs: [${out}]\n`);
      break;
    }
    case 'dep': {
      const dep = pick(rng, badDep);
      what = `dep ${dep.slice(0, 40)}`;
      files['pipeline.yaml'] = bad(`    deps: [${dep}]\n`);
      break;
    }
    case 'name': {
      const name = pick(rng, badName);
      what = `name ${name.slice(0, 40)}`;
      files['pipeline.yaml'] = bad('    outs: [o]\n', name);
      break;
    }
    case 'value': {
      const value = pick(rng, badValue);
      what = `value ${value.slice(0, 40)}`;
      files['pipeline.yaml'] = bad(`    ${value}\n`);
      break;
    }
    case 'params': {
      const params = pick(rng, badParams);
      what = `params ${params.slice(0, 40)}`;
      files['params.yaml'] = params;
      files['pipeline.yaml'] = bad('    params: [a]\n    outs: [o]\n');
      break;
    }
    case 'params-link': {
      const target = pick(rng, ['params.yaml', 'vars.yaml', 'conf/v.yaml']);
      what = `params symlink ${target}`;
      delete files['params.yaml'];
      if (target === 'conf/v.yaml') symlinks.conf = sentinel;
      else symlinks[target] = `${sentinel}/p.yaml`;
      files['pipeline.yaml'] = `${target === 'params.yaml' ? '' : `vars: [${target === 'vars.yaml' ? 'vars.yaml' : 'conf/p.yaml'}]\n`}${bad('    params: [a]\n    outs: [o]\n')}`;
      break;
    }
    case 'syntax': {
      // A line that is an error wherever it lands at column 0 (a plain scalar cannot continue there).
      const lines = bad('    outs: [o]\n').split('\n');
      const at = int(rng, 1, lines.length - 1);
      const junk = pick(rng, ['[', '{', ']', '}', '"unclosed', "'unclosed", '*nope', 'stages: {}', '  - : :', '%YAML 9.9']);
      what = `syntax ${junk} at line ${at + 1}`;
      lines.splice(at, 0, junk);
      files['pipeline.yaml'] = lines.join('\n');
      break;
    }
    case 'matrix': {
      const n = int(rng, 320, 400);
      const axis = `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
      what = `matrix ${n}^2`;
      files['pipeline.yaml'] = bad(`    matrix:\n      x: ${axis}\n      y: ${axis}\n    outs: [o\${item.x}-\${item.y}]\n`);
      break;
    }
  }
  return { id, what, files, symlinks };
}

/** Every entry under `dir` (files with content hash, symlinks with target, directories), sorted; `.runs/` left out. */
function snapshot(dir: string): string {
  const lines: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const a = path.join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(a);
      if (st.isSymbolicLink()) lines.push(`${r} -> ${readlinkSync(a)}`);
      else if (st.isDirectory()) {
        lines.push(`${r}/`);
        walk(a, r);
      } else lines.push(`${r} ${st.mode.toString(8)} ${createHash('sha256').update(readFileSync(a)).digest('hex')}`);
    }
  };
  walk(dir, '');
  return lines.join('\n');
}

describe(`config fuzz (seed ${SEED}, ${CASES} cases)`, () => {
  let base: string;
  let sentinel: string;
  let sentinelBefore: string;

  beforeAll(() => {
    base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-fuzz-')));
    sentinel = path.join(base, 'sentinel');
    mkdirSync(path.join(sentinel, 'deep'), { recursive: true });
    writeFileSync(path.join(sentinel, 'a.txt'), 'sentinel a\n');
    writeFileSync(path.join(sentinel, 'p.yaml'), 'a: 41\ntoken: s3cr3t\n');
    writeFileSync(path.join(sentinel, 'deep', 'b.bin'), Buffer.from([0, 1, 2, 255]));
    sentinelBefore = snapshot(sentinel);
  });
  afterAll(() => {
    if (!process.env.ORCHESTRATOR_IT_KEEP) rmSync(base, { recursive: true, force: true });
  });

  it('refuses every hostile or malformed project with a positioned diagnostic, writing nothing', { timeout: 600_000 }, async () => {
    const rng = seeded(SEED);
    const cases = Array.from({ length: CASES }, (_, id) => generate(rng, id, sentinel));
    const failures: string[] = [];
    const runOne = async (c: Case) => {
      const dir = path.join(base, `ws${c.id}`);
      for (const [rel, text] of Object.entries(c.files)) {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), text);
      }
      for (const [rel, target] of Object.entries(c.symlinks ?? {})) symlinkSync(target, path.join(dir, rel));
      const before = snapshot(dir);
      const r = await new Project(dir).run(['repro'], { timeoutMs: 60_000 });
      const problems: string[] = [];
      if (r.code !== 2) problems.push(`exit ${r.code} (signal ${r.signal})`);
      if (/internal error/.test(r.stderr + r.stdout)) problems.push('internal error');
      if (!/^[^\s:]+\.(ya?ml|json|lock):\d+:\d+: /m.test(r.stderr)) problems.push('no FILE:LINE:COL diagnostic');
      if (/s3cr3t/.test(r.stderr + r.stdout)) problems.push('printed a value from outside the workspace');
      if (snapshot(dir) !== before) problems.push('the workspace changed');
      if (snapshot(sentinel) !== sentinelBefore) {
        problems.push('the sentinel tree beside the workspace changed');
        rmSync(path.join(sentinel, 'pwned'), { force: true }); // so later cases are judged on their own
      }
      if (problems.length > 0) failures.push(`case ${c.id} (${c.what}): ${problems.join('; ')}\n${r.stderr.slice(0, 400)}${r.stdout.slice(0, 200)}`);
      else rmSync(dir, { recursive: true, force: true });
    };
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < cases.length) await runOne(cases[next++]!);
      }),
    );
    expect(failures, `seed ${SEED}: reproduce with CONFIG_FUZZ_SEED=${SEED}\n${failures.slice(0, 10).join('\n\n')}`).toEqual([]);
  });
});
