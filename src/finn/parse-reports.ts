import { err, ok, type Result } from '../model/result.js';
import type {
  EstimateLayerCycles,
  EstimateLayerResources,
  EstimateNetworkPerformance,
  HlsLayerResources,
  OocSynthAndTiming,
  OpAndParamCounts,
  PostRouteTiming,
  PostSynthResources,
  ReportError,
  ResourceCounts,
  RtlsimPerformance,
  TimePerStep,
} from './report-types.js';

// Pure parsers: report text -> typed data, or a ReportError naming the file and what is wrong.
// Each accepts exactly the quirks FINN's writers have, and nothing looser.

type Parsed<T> = Result<T, ReportError>;
type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

class Bad extends Error {}
const bad = (message: string): never => {
  throw new Bad(message);
};

/** Runs a parser body; a `Bad` thrown inside becomes the file's error (nothing else is caught). */
function parseWith<T>(file: string, text: string, body: (root: unknown) => T): Parsed<T> {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    return err({ file, message: `not valid JSON (${(e as Error).message})` });
  }
  try {
    return ok(body(root));
  } catch (e) {
    if (e instanceof Bad) return err({ file, message: e.message });
    throw e;
  }
}

function object(v: unknown, where: string): Json {
  return isObject(v) ? v : bad(`${where}: expected an object, got ${describe(v)}`);
}

function number(v: unknown, where: string, opts: { strings?: boolean } = {}): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (opts.strings && typeof v === 'string' && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(v)) return Number(v);
  return bad(`${where}: expected a number${opts.strings ? ' (or a numeric string)' : ''}, got ${describe(v)}`);
}

function optionalNumber(obj: Json, key: string, where: string): number | undefined {
  return obj[key] === undefined || obj[key] === null ? undefined : number(obj[key], `${where}${JSON.stringify(key)}`);
}

const at = (name: string, key?: string) => (key === undefined ? JSON.stringify(name) : `${JSON.stringify(name)}.${key}`);

/** A row of counts; `skip` names non-count fields (efficiencies stay numbers, so they are kept). */
function counts(row: unknown, name: string, opts: { strings?: boolean; skip?: readonly string[] } = {}): ResourceCounts {
  const out: ResourceCounts = {};
  for (const [k, v] of Object.entries(object(row, at(name)))) {
    if (opts.skip?.includes(k)) continue;
    out[k] = number(v, at(name, k), opts);
  }
  return out;
}

function nonEmpty(root: Json, what: string): void {
  if (Object.keys(root).length === 0) bad(`no ${what} (empty object)`);
}

export function parseEstimateLayerResources(file: string, text: string): Parsed<EstimateLayerResources> {
  return parseWith(file, text, (root) => {
    const all = object(root, 'top level');
    const layers: Record<string, ResourceCounts> = {};
    let total: ResourceCounts | undefined;
    for (const [name, row] of Object.entries(all)) {
      if (name === 'total') total = counts(row, name);
      else layers[name] = counts(row, name);
    }
    if (Object.keys(layers).length === 0) bad('no layers (only a total, or an empty object)');
    return total ? { layers, total } : { layers };
  });
}

export function parseEstimateLayerCycles(file: string, text: string): Parsed<EstimateLayerCycles> {
  return parseWith(file, text, (root) => {
    const all = object(root, 'top level');
    nonEmpty(all, 'layers');
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, number(v, at(k))]));
  });
}

export function parseEstimateNetworkPerformance(file: string, text: string): Parsed<EstimateNetworkPerformance> {
  return parseWith(file, text, (root) => {
    const o = object(root, 'top level');
    const name = o.max_cycles_node_name;
    return {
      criticalPathCycles: number(o.critical_path_cycles, 'critical_path_cycles'),
      maxCycles: number(o.max_cycles, 'max_cycles'),
      maxCyclesNodeName: typeof name === 'string' ? name : bad(`max_cycles_node_name: expected a node name, got ${describe(name)}`),
      estimatedThroughputFps: number(o.estimated_throughput_fps, 'estimated_throughput_fps'),
      estimatedLatencyNs: number(o.estimated_latency_ns, 'estimated_latency_ns'),
    };
  });
}

export function parseOpAndParamCounts(file: string, text: string): Parsed<OpAndParamCounts> {
  return parseWith(file, text, (root) => {
    const all = object(root, 'top level');
    const layers: Record<string, Record<string, number>> = {};
    let total: Record<string, number> | undefined;
    for (const [name, row] of Object.entries(all)) {
      if (name === 'total') total = counts(row, name);
      else layers[name] = counts(row, name);
    }
    return total ? { layers, total } : { layers };
  });
}

export function parseEstimateLayerResourcesHls(file: string, text: string): Parsed<HlsLayerResources> {
  return parseWith(file, text, (root) => {
    const all = object(root, 'top level');
    // csynth.xml values arrive as strings ("2"), FINN's defaults as int 0: both are counts.
    return Object.fromEntries(Object.entries(all).map(([name, row]) => [name, counts(row, name, { strings: true })]));
  });
}

export function parsePostSynthResources(file: string, text: string): Parsed<PostSynthResources> {
  return parseWith(file, text, (root) => {
    const all = object(root, 'top level');
    const layers: Record<string, ResourceCounts> = {};
    let top: ResourceCounts | undefined;
    for (const [name, row] of Object.entries(all)) {
      // 7-series parts have no URAM: rows simply lack the key, which stays absent here.
      if (name === '(top)') top = counts(row, name);
      else layers[name] = counts(row, name);
    }
    if (!top && Object.keys(layers).length === 0) bad('no rows (empty object)');
    return top ? { top, layers } : { layers };
  });
}

const OOC_INFO = new Set(['vivado_proj_folder', 'vivado_version', 'vivado_build_no', 'WNS', 'Delay', 'fmax_mhz', 'estimated_throughput_fps', '']);

export function parseOocSynthAndTiming(file: string, text: string): Parsed<OocSynthAndTiming> {
  return parseWith(file, text, (root) => {
    const o = object(root, 'top level');
    const resources: ResourceCounts = {};
    // FINN's report dict also carries a stray "" entry (an unnamed row of the utilization parse): ignored.
    for (const [k, v] of Object.entries(o)) if (!OOC_INFO.has(k)) resources[k] = number(v, at(k));
    if (Object.keys(resources).length === 0) bad('no resource counts (LUT, FF, ...)');
    const out: OocSynthAndTiming = { resources };
    const wns = optionalNumber(o, 'WNS', '');
    const delay = optionalNumber(o, 'Delay', '');
    const fmax = optionalNumber(o, 'fmax_mhz', '');
    const fps = optionalNumber(o, 'estimated_throughput_fps', '');
    if (wns !== undefined) out.wnsNs = wns;
    if (delay !== undefined) out.delayNs = delay;
    if (fmax !== undefined) out.fmaxMhz = fmax;
    if (fps !== undefined) out.estimatedThroughputFps = fps;
    if (o.vivado_version !== undefined) out.vivadoVersion = String(o.vivado_version);
    return out;
  });
}

export function parseRtlsimPerformance(file: string, text: string): Parsed<RtlsimPerformance> {
  return parseWith(file, text, (root) => {
    const o = object(root, 'top level');
    const out: RtlsimPerformance = { cycles: number(o.cycles, 'cycles') };
    const optional: Array<[keyof RtlsimPerformance, string]> = [
      ['latencyCycles', 'latency_cycles'],
      ['throughputFps', 'throughput[images/s]'],
      ['stableThroughputFps', 'stable_throughput[images/s]'],
      ['fclkMhz', 'fclk[mhz]'],
      ['runtimeMs', 'runtime[ms]'],
      ['batchSize', 'N'],
    ];
    for (const [field, key] of optional) {
      const v = optionalNumber(o, key, '');
      if (v !== undefined) out[field] = v;
    }
    return out;
  });
}

export function parseTimePerStep(file: string, text: string): Parsed<TimePerStep> {
  return parseWith(file, text, (root) => {
    const all = object(root, 'top level');
    nonEmpty(all, 'steps');
    return Object.fromEntries(Object.entries(all).map(([k, v]) => [k, number(v, at(k))]));
  });
}

/**
 * Vivado's `report_timing_summary` text: the row under the "WNS(ns) TNS(ns) ..." header of the
 * Design Timing Summary, and the first clock's period from the Clock Summary when present.
 */
export function parsePostRouteTiming(file: string, text: string): Parsed<PostRouteTiming> {
  const lines = text.split(/\r?\n/);
  const summary = lines.findIndex((l) => /Design Timing Summary/.test(l));
  if (summary === -1) return err({ file, message: 'no "Design Timing Summary" section (is this a report_timing_summary output?)' });
  const header = lines.findIndex((l, i) => i > summary && /\bWNS\(ns\)/.test(l));
  if (header === -1) return err({ file, message: 'Design Timing Summary without a "WNS(ns)" header line' });
  const columns = lines[header]!.trim().split(/\s{2,}/);
  const row = lines.slice(header + 1).find((l) => l.trim() !== '' && !/^[\s-]+$/.test(l));
  const values = row?.trim().split(/\s+/) ?? [];
  if (values.length < columns.length || values.some((v) => !/^-?\d+(\.\d+)?$/.test(v))) {
    return err({ file, message: `Design Timing Summary: expected ${columns.length} numbers under the header, got ${JSON.stringify(row?.trim() ?? '')}` });
  }
  const value = (name: string) => {
    const i = columns.indexOf(name);
    return i === -1 ? undefined : Number(values[i]);
  };
  const wnsNs = value('WNS(ns)');
  const tnsNs = value('TNS(ns)');
  if (wnsNs === undefined || tnsNs === undefined) return err({ file, message: 'Design Timing Summary lacks WNS(ns) or TNS(ns)' });
  const out: PostRouteTiming = { wnsNs, tnsNs };
  const optional: Array<[keyof PostRouteTiming, string]> = [
    ['whsNs', 'WHS(ns)'],
    ['thsNs', 'THS(ns)'],
    ['failingEndpoints', 'TNS Failing Endpoints'],
  ];
  for (const [field, col] of optional) {
    const v = value(col);
    if (v !== undefined) out[field] = v;
  }
  const clockSummary = lines.findIndex((l) => /^\|?\s*Clock Summary/.test(l));
  if (clockSummary !== -1) {
    // "clk_fpga_0  {0.000 5.000}  10.000  100.000": name, waveform, period, frequency.
    const clock = lines.slice(clockSummary + 1).find((l) => /^\S+\s+\{[^}]*\}\s+\d/.test(l));
    const period = clock ? /\}\s+(\d+(\.\d+)?)/.exec(clock)?.[1] : undefined;
    if (period !== undefined) out.clockPeriodNs = Number(period);
  }
  return ok(out);
}
