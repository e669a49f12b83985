import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { err, ok, type Result } from '../model/result.js';
import * as parse from './parse-reports.js';
import type { FinnReports, ReportError } from './report-types.js';

type Setter = (reports: FinnReports, text: string, file: string) => ReportError | undefined;

function into<K extends keyof FinnReports, T extends FinnReports[K]>(
  key: K,
  parser: (file: string, text: string) => Result<T, ReportError>,
): Setter {
  return (reports, text, file) => {
    const parsed = parser(file, text);
    if (!parsed.ok) return parsed.error;
    reports[key] = parsed.value;
    return undefined;
  };
}

/** The report files FINN writes under <output_dir>/report/, by file name. */
const REPORT_FILES: Record<string, Setter> = {
  'estimate_layer_resources.json': into('estimateLayerResources', parse.parseEstimateLayerResources),
  'estimate_layer_cycles.json': into('estimateLayerCycles', parse.parseEstimateLayerCycles),
  'estimate_network_performance.json': into('estimateNetworkPerformance', parse.parseEstimateNetworkPerformance),
  'op_and_param_counts.json': into('opAndParamCounts', parse.parseOpAndParamCounts),
  'estimate_layer_resources_hls.json': into('estimateLayerResourcesHls', parse.parseEstimateLayerResourcesHls),
  'post_synth_resources.json': into('postSynthResources', parse.parsePostSynthResources),
  'ooc_synth_and_timing.json': into('oocSynthAndTiming', parse.parseOocSynthAndTiming),
  'rtlsim_performance.json': into('rtlsimPerformance', parse.parseRtlsimPerformance),
  'post_route_timing.rpt': into('postRouteTiming', parse.parsePostRouteTiming),
};

/**
 * Reads every FINN report of a build: `<dir>/report/*` for a single FINN output_dir, or
 * `<dir>/<stage>/report/*` when each stage has its own output_dir (the FINN-T pipeline's layout),
 * plus each time_per_step.json. A report found in two stage directories is an error (which one
 * would count?); so is a build with no reports at all. All errors are collected.
 */
export function readFinnBuild(dir: string): Result<FinnReports, ReportError[]> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return err([{ file: dir, message: 'build directory not found' }]);
  const outputDirs = ['.', ...subdirs(dir)];
  const reports: FinnReports = { timePerStep: {} };
  const errors: ReportError[] = [];
  const seenAt = new Map<string, string>();
  let found = 0;
  for (const sub of outputDirs) {
    const base = path.join(dir, sub);
    const timing = path.join(base, 'time_per_step.json');
    if (isFile(timing)) {
      found++;
      const parsed = parse.parseTimePerStep(timing, readFileSync(timing, 'utf8'));
      if (parsed.ok) reports.timePerStep[sub] = parsed.value;
      else errors.push(parsed.error);
    }
    const reportDir = path.join(base, 'report');
    if (!isDir(reportDir)) continue;
    for (const name of readdirSync(reportDir).sort()) {
      const setter = REPORT_FILES[name];
      if (!setter) continue;
      const file = path.join(reportDir, name);
      const first = seenAt.get(name);
      if (first !== undefined) {
        errors.push({ file, message: `${name} is also in ${path.relative(dir, first)}: one build directory per report, please` });
        continue;
      }
      seenAt.set(name, file);
      found++;
      const problem = setter(reports, readFileSync(file, 'utf8'), file);
      if (problem) errors.push(problem);
    }
  }
  if (found === 0) errors.push({ file: dir, message: 'no FINN reports here (expected report/*.json or <stage>/report/*.json, time_per_step.json)' });
  return errors.length > 0 ? err(errors) : ok(reports);
}

function subdirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

const isFile = (p: string) => existsSync(p) && statSync(p).isFile();
const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
