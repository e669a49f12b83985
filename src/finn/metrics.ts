import type { FinnReports, ResourceCounts } from './report-types.js';

/** Layer types of the FINN-T resource breakdown. */
export const LAYER_TYPES = ['MVAU', 'Thresholding', 'ScaledDotProductAttention', 'FIFO', 'DWC', 'elementwise', 'other'] as const;
export type LayerType = (typeof LAYER_TYPES)[number];

/**
 * The layer type of a node or post-synthesis instance name: `MVAU_rtl_3`, `MatrixVectorActivation_0`,
 * `StreamingDataflowPartition_1_Thresholding_rtl_0` (the Zynq flow's hierarchical name), ...
 */
export function layerTypeOf(name: string): LayerType {
  const bare = name.replace(/^StreamingDataflowPartition_\d+_/, '');
  if (/^(MVAU|MatrixVectorActivation|VVAU|VectorVectorActivation)/.test(bare)) return 'MVAU';
  if (/^Thresholding/.test(bare)) return 'Thresholding';
  if (/^ScaledDotProductAttention/.test(bare)) return 'ScaledDotProductAttention';
  if (/^StreamingFIFO/.test(bare)) return 'FIFO';
  if (/^StreamingDataWidthConverter/.test(bare)) return 'DWC';
  if (/^Elementwise/.test(bare)) return 'elementwise';
  return 'other';
}

export interface BreakdownRow extends Record<string, number> {
  /** Layers (instances) of this type. */
  layers: number;
}

/** Per layer type: how many layers and the sum of each resource; types without layers are left out. */
export function breakdownByLayerType(rows: Record<string, ResourceCounts>, keep: (resource: string) => boolean = () => true): Partial<Record<LayerType, BreakdownRow>> {
  const out: Partial<Record<LayerType, BreakdownRow>> = {};
  for (const [name, row] of Object.entries(rows)) {
    const type = layerTypeOf(name);
    const sums = (out[type] ??= { layers: 0 });
    sums.layers++;
    for (const [k, v] of Object.entries(row)) if (keep(k)) sums[k] = (sums[k] ?? 0) + v;
  }
  return out;
}

/** Efficiencies are ratios per layer: summing them means nothing. */
const isCount = (resource: string) => !/_efficiency$/.test(resource);

export interface ResourceBreakdown {
  post_synth?: Partial<Record<LayerType, BreakdownRow>>;
  estimate?: Partial<Record<LayerType, BreakdownRow>>;
  hls_estimate?: Partial<Record<LayerType, BreakdownRow>>;
}

export function resourceBreakdown(r: FinnReports): ResourceBreakdown {
  const out: ResourceBreakdown = {};
  if (r.postSynthResources) out.post_synth = breakdownByLayerType(r.postSynthResources.layers);
  if (r.estimateLayerResources) out.estimate = breakdownByLayerType(r.estimateLayerResources.layers, isCount);
  if (r.estimateLayerResourcesHls) out.hls_estimate = breakdownByLayerType(r.estimateLayerResourcesHls);
  return out;
}

type Section = Record<string, number | string>;

/**
 * build/metrics.yaml: one section per report that exists. `post_synth` is the `(top)` row of
 * post_synth_resources.json (what the FINN-T paper tabulates); fmax comes from the post-route WNS
 * when the timing report names its clock period, else from the out-of-context synthesis.
 */
export function finnMetrics(r: FinnReports): Record<string, Section> {
  const out: Record<string, Section> = {};
  if (r.postSynthResources?.top) out.post_synth = { ...r.postSynthResources.top };
  if (r.estimateLayerResources) {
    const total = r.estimateLayerResources.total ?? sumRows(Object.values(r.estimateLayerResources.layers));
    out.estimate_resources = Object.fromEntries(Object.entries(total).filter(([k]) => isCount(k)));
  }
  if (r.estimateNetworkPerformance) {
    const p = r.estimateNetworkPerformance;
    out.estimate_performance = {
      critical_path_cycles: p.criticalPathCycles,
      max_cycles: p.maxCycles,
      max_cycles_node: p.maxCyclesNodeName,
      throughput_fps: p.estimatedThroughputFps,
      latency_ns: p.estimatedLatencyNs,
    };
  }
  if (r.opAndParamCounts) {
    const total = r.opAndParamCounts.total ?? sumRows(Object.values(r.opAndParamCounts.layers));
    const macs = sumMatching(total, /^op_mac_/);
    const params = sumMatching(total, /^param_/);
    out.ops_and_params = { macs, params, ...total };
  }
  if (r.estimateLayerResourcesHls) out.hls_estimate = sumRows(Object.values(r.estimateLayerResourcesHls));
  if (r.oocSynthAndTiming) {
    const o = r.oocSynthAndTiming;
    out.ooc_synth = { ...o.resources };
    if (o.wnsNs !== undefined) out.ooc_synth.wns_ns = o.wnsNs;
    if (o.fmaxMhz !== undefined) out.ooc_synth.fmax_mhz = o.fmaxMhz;
    if (o.estimatedThroughputFps !== undefined) out.ooc_synth.throughput_fps = o.estimatedThroughputFps;
  }
  if (r.postRouteTiming) {
    const t = r.postRouteTiming;
    const timing: Section = { wns_ns: t.wnsNs, tns_ns: t.tnsNs };
    if (t.whsNs !== undefined) timing.whs_ns = t.whsNs;
    if (t.clockPeriodNs !== undefined) {
      timing.clock_period_ns = t.clockPeriodNs;
      timing.fmax_mhz = 1000 / (t.clockPeriodNs - t.wnsNs);
    }
    out.post_route_timing = timing;
  }
  if (r.rtlsimPerformance) {
    const p = r.rtlsimPerformance;
    const rtlsim: Section = { cycles: p.cycles };
    if (p.latencyCycles !== undefined) rtlsim.latency_cycles = p.latencyCycles;
    if (p.throughputFps !== undefined) rtlsim.throughput_fps = p.throughputFps;
    if (p.stableThroughputFps !== undefined) rtlsim.stable_throughput_fps = p.stableThroughputFps;
    if (p.fclkMhz !== undefined) rtlsim.fclk_mhz = p.fclkMhz;
    out.rtlsim = rtlsim;
  }
  const fmax = out.post_route_timing?.fmax_mhz ?? out.ooc_synth?.fmax_mhz;
  const throughput = out.rtlsim?.stable_throughput_fps ?? out.rtlsim?.throughput_fps ?? out.ooc_synth?.throughput_fps ?? out.estimate_performance?.throughput_fps;
  if (fmax !== undefined || throughput !== undefined) {
    out.summary = {};
    if (fmax !== undefined) out.summary.fmax_mhz = fmax;
    if (throughput !== undefined) out.summary.throughput_fps = throughput;
  }
  const stages = Object.entries(r.timePerStep);
  if (stages.length > 0) {
    const seconds: Section = {};
    for (const [stage, steps] of stages) seconds[stage === '.' ? 'build' : stage] = Object.values(steps).reduce((a, b) => a + b, 0);
    seconds.total = Object.values(seconds).reduce<number>((a, b) => a + (b as number), 0);
    out.build_seconds = seconds;
  }
  return out;
}

function sumRows(rows: ResourceCounts[]): ResourceCounts {
  const out: ResourceCounts = {};
  for (const row of rows) for (const [k, v] of Object.entries(row)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function sumMatching(row: Record<string, number>, pattern: RegExp): number {
  return Object.entries(row).reduce((sum, [k, v]) => (pattern.test(k) ? sum + v : sum), 0);
}
