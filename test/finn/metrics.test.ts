import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { finnMetrics, layerTypeOf, resourceBreakdown } from '../../src/finn/metrics.js';
import { readFinnBuild } from '../../src/finn/read-build.js';
import { cleanupProjects, createProject } from '../integration/harness.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'zynq-7020');

function reports() {
  const r = readFinnBuild(FIXTURE);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

afterEach(() => cleanupProjects());

describe('FINN metrics', () => {
  test('layer types from node and hierarchical instance names', () => {
    expect(
      [
        'MVAU_rtl_3', 'MatrixVectorActivation_0', 'VVAU_hls_1', 'Thresholding_rtl_0', 'StreamingDataflowPartition_1_Thresholding_rtl_0',
        'ScaledDotProductAttention_hls_0', 'StreamingFIFO_rtl_12', 'StreamingDataWidthConverter_rtl_0', 'ElementwiseAdd_hls_0',
        'ElementwiseMul_hls_2', 'SplitMultiHeads_0', 'axi_interconnect_0',
      ].map(layerTypeOf),
    ).toEqual(['MVAU', 'MVAU', 'MVAU', 'Thresholding', 'Thresholding', 'ScaledDotProductAttention', 'FIFO', 'DWC', 'elementwise', 'elementwise', 'other', 'other']);
  });

  test('totals, the (top) row, WNS/fmax and throughput', () => {
    const m = finnMetrics(reports());
    expect(m.post_synth).toEqual({ LUT: 17988, SRL: 1261, FF: 24403, BRAM_36K: 38, BRAM_18K: 2, DSP: 3 });
    expect(m.estimate_resources).toEqual({ BRAM_18K: 12, LUT: 6131, URAM: 0, DSP: 3 });
    expect(m.hls_estimate).toEqual({ BRAM_18K: 6, FF: 5223, LUT: 4070, DSP48E: 3, URAM: 0 });
    expect(m.ops_and_params).toMatchObject({ macs: 786432, params: 147840 });
    expect(m.post_route_timing).toMatchObject({ wns_ns: 0.412, clock_period_ns: 10 });
    expect(m.post_route_timing!.fmax_mhz).toBeCloseTo(1000 / 9.588, 6);
    expect(m.summary!.fmax_mhz).toBe(m.post_route_timing!.fmax_mhz);
    // Measured (rtlsim) throughput wins over estimates.
    expect(m.summary!.throughput_fps).toBe(5920.6631);
    expect(m.build_seconds).toEqual({ hw: 2, bitstream: 2400.5, total: 2402.5 });
  });

  test('breakdown by layer type, counts summed, efficiencies dropped', () => {
    const b = resourceBreakdown(reports());
    expect(b.post_synth).toEqual({
      MVAU: { layers: 1, LUT: 1610, SRL: 12, FF: 2011, BRAM_36K: 2, BRAM_18K: 0, DSP: 0 },
      Thresholding: { layers: 1, LUT: 301, SRL: 0, FF: 402, BRAM_36K: 0, BRAM_18K: 0, DSP: 0 },
      ScaledDotProductAttention: { layers: 1, LUT: 4012, SRL: 120, FF: 5230, BRAM_36K: 3, BRAM_18K: 1, DSP: 3 },
      FIFO: { layers: 2, LUT: 76, SRL: 24, FF: 110, BRAM_36K: 1, BRAM_18K: 0, DSP: 0 },
      DWC: { layers: 1, LUT: 55, SRL: 0, FF: 70, BRAM_36K: 0, BRAM_18K: 0, DSP: 0 },
      elementwise: { layers: 1, LUT: 190, SRL: 0, FF: 230, BRAM_36K: 0, BRAM_18K: 0, DSP: 0 },
      other: { layers: 1, LUT: 812, SRL: 60, FF: 1100, BRAM_36K: 0, BRAM_18K: 0, DSP: 0 },
    });
    expect(b.estimate?.MVAU).toEqual({ layers: 1, BRAM_18K: 4, LUT: 1523, URAM: 0, DSP: 0 });
  });

  test('orchestrator finn metrics writes sorted, deterministic YAML; broken reports exit 1 naming the file', async () => {
    const p = createProject({});
    // Copy the fixture into the project's build/.
    const { cpSync } = await import('node:fs');
    cpSync(FIXTURE, p.abs('build'), { recursive: true });
    const r = await p.run(['finn', 'metrics', 'build', '--out', 'build/metrics.yaml', '--breakdown', 'build/resource_breakdown.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const text = p.read('build/metrics.yaml');
    const keys = Object.keys(parseYaml(text));
    expect(keys).toEqual([...keys].sort());
    expect(text).toContain('post_synth:\n  BRAM_18K: 2\n  BRAM_36K: 38\n  DSP: 3\n  FF: 24403\n  LUT: 17988\n  SRL: 1261\n');
    expect(parseYaml(p.read('build/resource_breakdown.yaml')).post_synth.FIFO.layers).toBe(2);
    await p.run(['finn', 'metrics', 'build', '--out', 'build/metrics2.yaml']);
    expect(p.read('build/metrics2.yaml')).toBe(text);

    const json = await p.run(['finn', 'metrics', 'build', '--json']);
    expect(JSON.parse(json.stdout).metrics.post_synth.LUT).toBe(17988);

    p.write('build/hls/report/ooc_synth_and_timing.json', '{"LUT": "lots"}');
    const bad = await p.run(['finn', 'metrics', 'build', '--out', 'build/metrics3.yaml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: build/hls/report/ooc_synth_and_timing.json: "LUT": expected a number, got "lots"\n');
    expect(p.exists('build/metrics3.yaml')).toBe(false);
    expect(readFileSync(p.abs('build/metrics.yaml'), 'utf8')).toBe(text);
  });
});
