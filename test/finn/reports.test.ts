import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import {
  parseEstimateLayerCycles,
  parseEstimateLayerResources,
  parseEstimateLayerResourcesHls,
  parseEstimateNetworkPerformance,
  parseOocSynthAndTiming,
  parseOpAndParamCounts,
  parsePostRouteTiming,
  parsePostSynthResources,
  parseRtlsimPerformance,
  parseTimePerStep,
} from '../../src/finn/parse-reports.js';
import { readFinnBuild } from '../../src/finn/read-build.js';

// Fixtures in test/finn/fixtures/zynq-7020 are shaped like FINN's real outputs of a Zynq-7020 build
// (per-stage output_dirs as the FINN-T pipeline makes them), including FINN's quirks.
const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'zynq-7020');
const fixture = (rel: string) => readFileSync(path.join(FIXTURE, rel), 'utf8');

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('report parsers on FINN-shaped fixtures', () => {
  test('estimate_layer_resources: layers keep their efficiencies; the "total" entry is separate', () => {
    const r = parseEstimateLayerResources('f', fixture('hw/report/estimate_layer_resources.json'));
    expect(r.ok && Object.keys(r.value.layers)).toEqual(['MVAU_rtl_0', 'Thresholding_rtl_0', 'ScaledDotProductAttention_hls_0', 'ElementwiseAdd_hls_0']);
    expect(r.ok && r.value.total).toEqual({ BRAM_18K: 12, LUT: 6131, URAM: 0, DSP: 3 });
    expect(r.ok && r.value.layers.MVAU_rtl_0!.BRAM_efficiency).toBeCloseTo(0.444, 3);
  });

  test('estimate_layer_resources_hls: csynth strings and int defaults are both numbers', () => {
    const r = parseEstimateLayerResourcesHls('f', fixture('hls/report/estimate_layer_resources_hls.json'));
    expect(r.ok && r.value).toEqual({
      ScaledDotProductAttention_hls_0: { BRAM_18K: 6, FF: 5012, LUT: 3890, DSP48E: 3, URAM: 0 },
      ElementwiseAdd_hls_0: { BRAM_18K: 0, FF: 211, LUT: 180, DSP48E: 0, URAM: 0 },
    });
  });

  test('post_synth_resources: the (top) row apart; 7-series rows without URAM stay without it', () => {
    const r = parsePostSynthResources('f', fixture('bitstream/report/post_synth_resources.json'));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.top).toEqual({ LUT: 17988, SRL: 1261, FF: 24403, BRAM_36K: 38, BRAM_18K: 2, DSP: 3 });
    expect(Object.keys(r.value.layers)).toHaveLength(8);
    expect('URAM' in r.value.layers['StreamingDataflowPartition_1_MVAU_rtl_0']!).toBe(false);
  });

  test('ooc_synth_and_timing: the stray "" entry, the project folder and version are not resources', () => {
    const r = parseOocSynthAndTiming('f', fixture('hls/report/ooc_synth_and_timing.json'));
    if (!r.ok) throw new Error(r.error.message);
    expect(Object.keys(r.value.resources).sort()).toEqual(['BRAM', 'BRAM_18K', 'BRAM_36K', 'Carry', 'DSP', 'FF', 'LUT', 'LUTRAM', 'URAM']);
    expect(r.value).toMatchObject({ wnsNs: 1.211, fmaxMhz: 113.78, estimatedThroughputFps: 6944.5, vivadoVersion: '2022.2' });
  });

  test('the other JSON reports', () => {
    expect(parseEstimateLayerCycles('f', fixture('hw/report/estimate_layer_cycles.json'))).toMatchObject({ ok: true, value: { MVAU_rtl_0: 12288 } });
    expect(parseEstimateNetworkPerformance('f', fixture('hw/report/estimate_network_performance.json'))).toEqual({
      ok: true,
      value: { criticalPathCycles: 32768, maxCycles: 16384, maxCyclesNodeName: 'ScaledDotProductAttention_hls_0', estimatedThroughputFps: 6103.515625, estimatedLatencyNs: 327680 },
    });
    expect(parseOpAndParamCounts('f', fixture('hw/report/op_and_param_counts.json'))).toMatchObject({ ok: true, value: { total: { op_mac_2bx2b: 786432 } } });
    expect(parseRtlsimPerformance('f', fixture('hls/report/rtlsim_performance.json'))).toEqual({
      ok: true,
      value: { cycles: 16890, latencyCycles: 16890, throughputFps: 5920.6631, stableThroughputFps: 5920.6631, fclkMhz: 100, runtimeMs: 0.1689, batchSize: 1 },
    });
    expect(parseTimePerStep('f', fixture('bitstream/time_per_step.json'))).toEqual({ ok: true, value: { step_synthesize_bitfile: 2400.5 } });
  });

  test('post_route_timing.rpt: the Design Timing Summary row and the clock period', () => {
    expect(parsePostRouteTiming('f', fixture('bitstream/report/post_route_timing.rpt'))).toEqual({
      ok: true,
      value: { wnsNs: 0.412, tnsNs: 0, whsNs: 0.018, thsNs: 0, failingEndpoints: 0, clockPeriodNs: 10 },
    });
  });
});

describe('malformed reports are errors naming the file and the problem', () => {
  test.each([
    [parseEstimateLayerResources, '{"MVAU_0": {"LUT": 1', 'not valid JSON'],
    [parseEstimateLayerResources, '[1, 2]', 'top level: expected an object, got a list'],
    [parseEstimateLayerResources, '{"total": {"LUT": 1}}', 'no layers'],
    [parseEstimateLayerResources, '{"MVAU_0": {"LUT": "many"}}', '"MVAU_0".LUT: expected a number, got "many"'],
    [parseEstimateLayerResourcesHls, '{"X_hls_0": {"LUT": "12a"}}', '"X_hls_0".LUT: expected a number (or a numeric string), got "12a"'],
    [parsePostSynthResources, '{}', 'no rows'],
    [parsePostSynthResources, '{"(top)": {"LUT": null}}', '"(top)".LUT: expected a number, got null'],
    [parseEstimateNetworkPerformance, '{"critical_path_cycles": 1}', 'max_cycles: expected a number, got undefined'],
    [parseOocSynthAndTiming, '{"WNS": 0.1}', 'no resource counts'],
    [parseRtlsimPerformance, '{"N": 1}', 'cycles: expected a number'],
    [parseTimePerStep, '{}', 'no steps'],
    [parsePostRouteTiming, 'Copyright...\nnothing here\n', 'no "Design Timing Summary" section'],
    [parsePostRouteTiming, '| Design Timing Summary\n    WNS(ns)      TNS(ns)\n    -------      -------\n      NA   0.000\n', 'expected 2 numbers under the header'],
  ] as const)('%o on %j', (parser, text, message) => {
    const r = (parser as (f: string, t: string) => { ok: boolean; error?: { file: string; message: string } })('build/x/report/file', text);
    expect(r.ok).toBe(false);
    expect(r.error!.file).toBe('build/x/report/file');
    expect(r.error!.message).toContain(message);
  });
});

describe('readFinnBuild', () => {
  test('collects the per-stage reports of a build directory', () => {
    const r = readFinnBuild(FIXTURE);
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.postSynthResources?.top?.LUT).toBe(17988);
    expect(r.value.estimateLayerResourcesHls).toBeDefined();
    expect(Object.keys(r.value.timePerStep).sort()).toEqual(['bitstream', 'hw']);
  });

  test('a single FINN output_dir works too', () => {
    const r = readFinnBuild(path.join(FIXTURE, 'bitstream'));
    expect(r.ok && Object.keys(r.value.timePerStep)).toEqual(['.']);
  });

  test('every broken file is reported; a report in two stage directories is an error; an empty dir has no reports', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'finn-reports-'));
    temps.push(dir);
    cpSync(FIXTURE, dir, { recursive: true });
    writeFileSync(path.join(dir, 'hw/report/estimate_layer_cycles.json'), '{"MVAU_rtl_0": "fast"}');
    mkdirSync(path.join(dir, 'extra/report'), { recursive: true });
    writeFileSync(path.join(dir, 'extra/report/rtlsim_performance.json'), '{"cycles": 1}');
    const r = readFinnBuild(dir);
    expect(r.ok).toBe(false);
    const messages = r.ok ? [] : r.error.map((e) => `${path.relative(dir, e.file)}: ${e.message}`);
    expect(messages).toEqual([
      'hls/report/rtlsim_performance.json: rtlsim_performance.json is also in extra/report/rtlsim_performance.json: one build directory per report, please',
      'hw/report/estimate_layer_cycles.json: "MVAU_rtl_0": expected a number, got "fast"',
    ]);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'finn-empty-'));
    temps.push(empty);
    const none = readFinnBuild(empty);
    expect(!none.ok && none.error[0]!.message).toContain('no FINN reports here');
  });
});
