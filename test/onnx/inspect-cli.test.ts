import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ld, smallModel, tag, varint, vi, writeLargeModel } from '../../bench/onnx-writer.mjs';
import type { ModelDiff } from '../../src/onnx/diff-models.js';
import type { ModelSummary } from '../../src/onnx/summary-types.js';
import { cleanupProjects, createProject, REPO_ROOT, runCli, yamlLines } from '../integration/harness.js';
import { DEBIAN_PYTHON, makeModels } from './models.js';

// The built CLI (npm run build first) against models made here: python3-onnx for the FINN-shaped
// graphs, bench/onnx-writer.mjs for the malformed files and the 500 MB model.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'orch-inspect-'));
  makeModels(path.join(dir, 'a'), { pe: 2, simd: 4, memMode: 'internal_decoupled' });
  makeModels(path.join(dir, 'b'), { pe: 4, simd: 8, memMode: 'internal_embedded' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(cleanupProjects);

const inspectJson = async (...args: string[]) => {
  const r = await runCli(['inspect', ...args, '--json'], { cwd: dir });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as ModelSummary;
};

describe('inspect (CLI)', () => {
  it('prints one JSON document with kind, io, counts, layers, weights, partitions and reports', async () => {
    const s = await inspectJson(path.join(dir, 'a/specialized/model.onnx'));
    expect(s.kind).toBe('specialized');
    expect(s.children[0]!.summary!.nodeCount).toBe(4);
    expect(s.layers.find((l) => l.name === 'MVAU_rtl_0')).toMatchObject({ impl: 'rtl', attributes: { PE: 2, SIMD: 4, mem_mode: 'internal_decoupled' }, cycles: 512, reports: { estimateCycles: 512, postSynth: { LUT: 310 } } });
    expect(s.children[0]!.summary!.weightTotals).toEqual({ bytes: 256 + 256 + 32 * 255 * 4 + 16 * 15 * 4, carrierBytes: 2 * 2048 + 32 * 255 * 4 + 16 * 15 * 4, initializers: 4, initializerStoredBytes: 2 * 2048 + 32 * 255 * 4 + 16 * 15 * 4 });
  });

  it('prints a compact per-layer table on a terminal', async () => {
    const r = await runCli(['inspect', path.join(dir, 'a/specialized/model.onnx')], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/: specialized \(/);
    expect(r.stdout).toMatch(/partition StreamingDataflowPartition_0 -> supported_op_partitions\/partition_0\.onnx \(specialized, 4 nodes\)/);
    expect(r.stdout).toMatch(/^ {2}layer +impl +PE +SIMD +MW +MH/m);
    expect(r.stdout).toMatch(/^ {2}MVAU_rtl_0 +rtl +2 +4 +16 +32 +INT8\/INT4\/INT32 +internal_decoupled +block +dsp +32\/2 +512 +512 +256 +300 +310$/m);
  });

  it('diff of two foldings: the attributes that changed per layer, and the cycles', async () => {
    const r = await runCli(['inspect', 'diff', 'a/specialized/model.onnx', 'b/specialized/model.onnx', '--json'], { cwd: dir });
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as ModelDiff;
    expect(d.opTypes).toEqual([]);
    expect(d.added).toEqual([]);
    expect(d.attributes).toEqual(
      expect.arrayContaining([
        { node: 'MVAU_rtl_0', attribute: 'PE', before: 2, after: 4 },
        { node: 'MVAU_rtl_0', attribute: 'SIMD', before: 4, after: 8 },
        { node: 'MVAU_hls_0', attribute: 'mem_mode', before: 'internal_decoupled', after: 'internal_embedded' },
        { node: 'Thresholding_rtl_0', attribute: 'PE', before: 2, after: 4 },
      ]),
    );
    expect(d.attributes.filter((a) => a.node.startsWith('StreamingFIFO'))).toEqual([]);
    expect(d.cycles).toContainEqual({ node: 'MVAU_rtl_0', before: (32 / 2) * (16 / 4) * 8, after: (32 / 4) * (16 / 8) * 8 });
    const text = await runCli(['inspect', 'diff', 'a/specialized/model.onnx', 'b/specialized/model.onnx'], { cwd: dir });
    expect(text.stdout).toMatch(/^ {4}MVAU_rtl_0 +PE +2 +4$/m);
  });

  it('diff of two stages of the flow: what streamlining did (op types, datatypes, weight memory)', async () => {
    const r = await runCli(['inspect', 'diff', 'a/qonnx.onnx', 'a/finn.onnx', '--json'], { cwd: dir });
    const d = JSON.parse(r.stdout) as ModelDiff;
    expect(d.a).toMatchObject({ kind: 'qonnx', nodes: 7 });
    expect(d.b).toMatchObject({ kind: 'finn-onnx', nodes: 4, weightBytes: 256 * 2 + 32 * 255 * 4 + 16 * 15 * 4 });
    expect(d.opTypes).toEqual([
      { opType: 'Relu', before: 1, after: 0 },
      { opType: 'qonnx.custom_op.general:MultiThreshold', before: 0, after: 2 },
      { opType: 'qonnx.custom_op.general:Quant', before: 4, after: 0 },
    ]);
    expect(d.datatypes).toContainEqual({ tensor: 'W0', after: 'INT4' });
    expect(d.weights).toContainEqual({ node: 'MatMul_0', after: 256 });
    const hw = JSON.parse((await runCli(['inspect', 'diff', 'a/finn.onnx', 'a/hw.onnx', '--json'], { cwd: dir })).stdout) as ModelDiff;
    expect(hw.b.kind).toBe('hardware');
    expect(hw.added.map((n) => n.opType)).toEqual(['finn.custom_op.fpgadataflow:MVAU', 'finn.custom_op.fpgadataflow:MVAU']);
  });

  it('--out DIR writes inspect.html and inspect.json; usage errors are exit 2', async () => {
    const r = await runCli(['inspect', 'a/hw.onnx', '--out', 'report-out'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote report-out\/inspect\.html$/m);
    expect((JSON.parse(readFileSync(path.join(dir, 'report-out/inspect.json'), 'utf8')) as ModelSummary).kind).toBe('hardware');
    expect(readFileSync(path.join(dir, 'report-out/inspect.html'), 'utf8')).toMatch(/^<!doctype html>/);
    const usage = await runCli(['inspect', 'diff', 'a/hw.onnx'], { cwd: dir });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe('error: inspect diff takes two models: inspect diff A B\n');
  });
});

describe('inspect: malformed input is a clear error, exit 2, no stack trace', () => {
  const good = smallModel();
  const cases: Array<[string, Buffer | string, RegExp]> = [
    ['empty.onnx', Buffer.alloc(0), /not an ONNX model: the file is empty/],
    ['truncated.onnx', good.subarray(0, good.length - 20), /not an ONNX model: truncated: .* declares \d+ bytes, but the file ends at byte \d+/],
    ['text.onnx', 'hello, this is not a model\n', /not an ONNX model: /],
    ['json.onnx', '{"graph": {}}\n', /not an ONNX model: byte 0: field number 15 \(wire type 3\) is not part of ModelProto/],
    ['wire.onnx', Buffer.concat([vi(1, 8), vi(7, 5)]), /not an ONNX model: byte 2: ModelProto\.graph has wire type 0, expected 2/],
    ['huge.onnx', Buffer.concat([vi(1, 8), tag(7, 2), varint(2 ** 40), Buffer.alloc(16)]), /not an ONNX model: truncated: ModelProto\.graph at byte 3 declares 1099511627776 bytes, but the file ends at byte 25/],
    ['inner.onnx', Buffer.concat([vi(1, 8), ld(7, ld(2, 'g'), tag(5, 2), varint(1000)), ld(8, ld(1, ''), vi(2, 14))]), /graph\.initializer\[0\] at byte \d+ declares 1000 bytes, past the end of its enclosing message/],
    ['varint.onnx', Buffer.concat([tag(1, 0), Buffer.alloc(11, 0xff)]), /not an ONNX model: .*longer than 10 bytes/],
    ['nograph.onnx', vi(1, 8), /not an ONNX model: no graph/],
    ['badnode.onnx', Buffer.concat([vi(1, 8), ld(7, ld(1, Buffer.from([0x0a, 0x05, 0x61])))]), /not an ONNX model: graph\.node\[0\] at byte \d+: /],
  ];
  it.each(cases)('%s', async (name, bytes, message) => {
    const bad = path.join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(path.join(bad, name), bytes);
    const r = await runCli(['inspect', `bad/${name}`, '--json'], { cwd: dir, env: { ORCHESTRATOR_DEBUG: undefined } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(`${path.join(dir, 'bad', name)}: not an ONNX model: `) || r.stderr.startsWith(`bad/${name}: not an ONNX model: `)).toBe(true);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a missing file or unknown name, and a directory', async () => {
    const r = await runCli(['inspect', 'nope.onnx'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.onnx: no such file/);
    const d = await runCli(['inspect', 'a'], { cwd: dir });
    expect(d.code).toBe(2);
  });
});

describe('inspect: a 500 MB model', () => {
  it('is summarized with bounded memory: the payload is skipped, never read', () => {
    const file = path.join(dir, 'big.onnx');
    const size = writeLargeModel(file, 128_000, 1024);
    expect(size).toBeGreaterThan(500 * 2 ** 20);
    // The CLI in a child process that reports its own peak RSS.
    const script = `const m=await import(${JSON.stringify(path.join(REPO_ROOT, 'dist/cli/main.js'))});const o=[];const code=await m.main(['inspect',${JSON.stringify(file)},'--json'],{out:(s)=>o.push(s),err:(s)=>process.stderr.write(s),isTTY:false});console.log(JSON.stringify({code,rssMb:process.resourceUsage().maxRSS/1024,summary:JSON.parse(o.join(''))}));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { code: number; rssMb: number; summary: ModelSummary };
    expect(out.code).toBe(0);
    expect(out.summary.fileBytes).toBe(size);
    expect(out.summary.weightTotals).toEqual({ bytes: (128_000 * 1024 * 2) / 8, carrierBytes: 128_000 * 1024 * 4, initializers: 1, initializerStoredBytes: 128_000 * 1024 * 4 });
    expect(out.rssMb).toBeLessThan(200);
    rmSync(file);
  });
});

describe('inspect a stage, STAGE@REV and SWEEP/VARIANT/STAGE', () => {
  const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, stdio: 'pipe' }).toString();

  it('resolves a stage to its ONNX output, an older revision through the lock and the cache, and a sweep variant', async () => {
    const p = createProject({
      'params.yaml': yamlLines('pe: 2', 'simd: 4'),
      'pipeline.yaml': yamlLines(
        'stages:',
        '  hw:',
        `    cmd: rm -rf gen hw && ${DEBIAN_PYTHON} ${path.join(REPO_ROOT, 'test/onnx/make_models.py')} gen --pe \${pe} --simd \${simd} && mv gen/specialized hw && rm -rf gen`,
        '    params: [pe, simd]',
        '    outs: [hw]',
      ),
      '.gitignore': yamlLines('/hw/', '/.orchestrator/'),
    });
    await p.runOk(['repro']);
    git(p.dir, 'init', '-q');
    git(p.dir, 'add', '-A');
    git(p.dir, 'commit', '-q', '-m', 'pe 2');
    p.write('params.yaml', yamlLines('pe: 4', 'simd: 4'));
    await p.runOk(['repro']);

    const now = JSON.parse((await p.runOk(['inspect', 'hw', '--json'])).stdout) as ModelSummary;
    expect(now.file).toBe('hw (hw/model.onnx)');
    expect(now.layers.find((l) => l.name === 'MVAU_rtl_0')!.attributes.PE).toBe(4);
    const before = JSON.parse((await p.runOk(['inspect', 'hw@HEAD', '--json'])).stdout) as ModelSummary;
    expect(before.file).toBe('hw@HEAD (hw/model.onnx)');
    expect(before.layers.find((l) => l.name === 'MVAU_rtl_0')!.attributes.PE).toBe(2);
    // The child partition and the reports come from the cached directory too.
    expect(before.children[0]!.summary!.nodeCount).toBe(4);
    expect(before.layers.find((l) => l.name === 'MVAU_rtl_0')!.reports.estimate).toMatchObject({ LUT: 300 });
    const d = JSON.parse((await p.runOk(['inspect', 'diff', 'hw@HEAD', 'hw', '--json'])).stdout) as ModelDiff;
    expect(d.attributes).toContainEqual({ node: 'MVAU_rtl_0', attribute: 'PE', before: 2, after: 4 });

    await p.runOk(['sweep', 'run', 'fold', '-S', 'pe=1,8']);
    const show = JSON.parse((await p.runOk(['sweep', 'show', 'fold', '--json'])).stdout) as { variants: Array<{ id: string }> };
    const id = show.variants.map((v) => v.id).find((v) => v.includes('8'))!;
    const v8 = JSON.parse((await p.runOk(['inspect', `fold/${id}/hw`, '--json'])).stdout) as ModelSummary;
    expect(v8.layers.find((l) => l.name === 'MVAU_rtl_0')!.attributes.PE).toBe(8);
    const dv = JSON.parse((await p.runOk(['inspect', 'diff', 'hw', `${id}/hw`, '--json'])).stdout) as ModelDiff;
    expect(dv.attributes).toContainEqual({ node: 'MVAU_rtl_0', attribute: 'PE', before: 4, after: 8 });

    const unknown = await p.run(['inspect', 'hw@nosuchrev']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/hw@nosuchrev: "nosuchrev" is not a git revision here/);
  });
});

