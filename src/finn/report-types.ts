/** FINN's build reports as typed data (formats as FINN writes them; see README "FINN-T flow"). */

/** Resource counts by Vivado/FINN name (LUT, FF, BRAM_18K, BRAM_36K, URAM, DSP, SRL, ...). */
export type ResourceCounts = Record<string, number>;

/** report/estimate_layer_resources.json: per node, plus FINN's `total` entry. */
export interface EstimateLayerResources {
  layers: Record<string, ResourceCounts>;
  total?: ResourceCounts;
}

/** report/estimate_layer_cycles.json. */
export type EstimateLayerCycles = Record<string, number>;

/** report/estimate_network_performance.json. */
export interface EstimateNetworkPerformance {
  criticalPathCycles: number;
  maxCycles: number;
  maxCyclesNodeName: string;
  estimatedThroughputFps: number;
  estimatedLatencyNs: number;
}

/** report/op_and_param_counts.json: per node `op_mac_<w>bx<a>b` / `param_weight_<w>b` / ..., plus `total`. */
export interface OpAndParamCounts {
  layers: Record<string, Record<string, number>>;
  total?: Record<string, number>;
}

/** report/estimate_layer_resources_hls.json (csynth numbers; FINN writes most of them as strings). */
export type HlsLayerResources = Record<string, ResourceCounts>;

/** report/post_synth_resources.json: the `(top)` row and one row per instance. */
export interface PostSynthResources {
  top?: ResourceCounts;
  layers: Record<string, ResourceCounts>;
}

/** report/ooc_synth_and_timing.json. */
export interface OocSynthAndTiming {
  resources: ResourceCounts;
  wnsNs?: number;
  delayNs?: number;
  fmaxMhz?: number;
  estimatedThroughputFps?: number;
  vivadoVersion?: string;
}

/** report/rtlsim_performance.json. */
export interface RtlsimPerformance {
  cycles: number;
  latencyCycles?: number;
  throughputFps?: number;
  stableThroughputFps?: number;
  fclkMhz?: number;
  runtimeMs?: number;
  batchSize?: number;
}

/** time_per_step.json: seconds per step name. */
export type TimePerStep = Record<string, number>;

/** report/post_route_timing.rpt: Vivado's Design Timing Summary (and the first clock's period). */
export interface PostRouteTiming {
  wnsNs: number;
  tnsNs: number;
  whsNs?: number;
  thsNs?: number;
  failingEndpoints?: number;
  clockPeriodNs?: number;
}

/** What is wrong with one report file. */
export interface ReportError {
  file: string;
  message: string;
}

export type ReportKind =
  | 'estimate_layer_resources'
  | 'estimate_layer_cycles'
  | 'estimate_network_performance'
  | 'op_and_param_counts'
  | 'estimate_layer_resources_hls'
  | 'post_synth_resources'
  | 'ooc_synth_and_timing'
  | 'rtlsim_performance'
  | 'time_per_step'
  | 'post_route_timing';

/** Every report of one build, as far as it exists; time_per_step per stage directory. */
export interface FinnReports {
  estimateLayerResources?: EstimateLayerResources;
  estimateLayerCycles?: EstimateLayerCycles;
  estimateNetworkPerformance?: EstimateNetworkPerformance;
  opAndParamCounts?: OpAndParamCounts;
  estimateLayerResourcesHls?: HlsLayerResources;
  postSynthResources?: PostSynthResources;
  oocSynthAndTiming?: OocSynthAndTiming;
  rtlsimPerformance?: RtlsimPerformance;
  postRouteTiming?: PostRouteTiming;
  /** Keyed by the directory holding time_per_step.json (e.g. `hw`), `.` for the build dir itself. */
  timePerStep: Record<string, TimePerStep>;
}
