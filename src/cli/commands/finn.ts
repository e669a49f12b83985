import path from 'node:path';
import { readFinnBuild } from '../../finn/read-build.js';
import { finnMetrics, resourceBreakdown } from '../../finn/metrics.js';
import { sortedYaml } from '../../finn/sorted-yaml.js';
import { mkdirp, writeFileAtomic } from '../../util/atomic-write.js';
import { EXIT, type Io } from '../io.js';

export interface FinnMetricsOptions {
  out?: string;
  breakdown?: string;
  json: boolean;
}

/**
 * `finn metrics <build dir>`: FINN's reports -> metrics (YAML, sorted) and a per-layer-type
 * resource breakdown. Paths are relative to the root (-C). A malformed or missing report fails
 * with exit 1 and one line per problem, naming the file.
 */
export async function finnMetricsCommand(root: string, buildDir: string, opts: FinnMetricsOptions, io: Io): Promise<number> {
  const abs = (p: string) => path.resolve(root, p);
  const reports = readFinnBuild(abs(buildDir));
  if (!reports.ok) {
    for (const e of reports.error) io.err(`error: ${path.relative(root, e.file) || '.'}: ${e.message}\n`);
    return EXIT.failed;
  }
  const metrics = finnMetrics(reports.value);
  const breakdown = resourceBreakdown(reports.value);
  if (opts.json) {
    io.out(`${JSON.stringify({ metrics, breakdown })}\n`);
  } else if (!opts.out) {
    io.out(sortedYaml(metrics));
  }
  const writes: Array<[string, unknown]> = [];
  if (opts.out) writes.push([opts.out, metrics]);
  if (opts.breakdown) writes.push([opts.breakdown, breakdown]);
  for (const [file, data] of writes) {
    await mkdirp(path.dirname(abs(file)));
    await writeFileAtomic(abs(file), sortedYaml(data));
  }
  return EXIT.ok;
}
