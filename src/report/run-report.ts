import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Project } from '../engine/project.js';
import { listRunIds, readRunRecord, type RunRecord, type StageRunRecord } from '../engine/run-record.js';
import { collapseGroups, type CollapsedGraph } from '../graph/collapse.js';
import { metricsPaths, readMetrics, workspaceReader, type MetricsFile } from '../sweep/metrics-files.js';
import { describeReason } from '../ui/change-reason-text.js';
import { describeFailure } from '../ui/failure-text.js';
import { workspaceLayout } from '../workspace/layout.js';
import { err, ok, type Result } from '../model/result.js';
import type { NodeStatus } from './dag-svg.js';

/** One stage's row of the report: the plan's decision in words, and how the run went. */
export interface StageReportRow {
  stage: string;
  decision?: string;
  reasons: string[];
  status: string;
  executor?: string;
  start?: string;
  end?: string;
  durationMs?: number;
  /** A queued executor (Slurm): submitted at, began to run at, and the wait between (seconds, never below 0). */
  queuedAt?: string;
  startedAt?: string;
  queueWaitS?: number;
  failure?: string;
  /** Last lines of the log of a stage that failed. */
  logTail?: string[];
  log?: string;
}

/** Everything the report page shows, as data (also what `report --json` prints). */
export interface RunReport {
  runId?: string;
  run?: Pick<RunRecord, 'argv' | 'started' | 'finished' | 'status'>;
  dag: CollapsedGraph;
  stages: StageReportRow[];
  metrics: MetricsFile[];
  params: { file: string; key: string; value: unknown; stages: string[] }[];
}

const LOG_TAIL_LINES = 20;
const LOG_TAIL_BYTES = 64 * 1024;

/** The report of run `runId` (default: the latest run), or of no run when none is recorded. */
export async function buildRunReport(project: Project, runId: string | undefined): Promise<Result<RunReport, string>> {
  const layout = workspaceLayout(project.root);
  const ids = await listRunIds(layout.runs);
  const chosen = runId ?? ids[ids.length - 1];
  let record: RunRecord | undefined;
  if (chosen !== undefined) {
    record = await readRunRecord(layout.runs, chosen);
    if (record === undefined) return err(runId === undefined ? `the latest run record (${chosen}) cannot be read` : `no run "${runId}" in ${path.relative(project.root, layout.runs)}${ids.length > 0 ? ` (latest: ${ids[ids.length - 1]})` : ''}`);
  }
  const names = project.graph.order;
  const stages: StageReportRow[] = [];
  // Stages the record knows but pipeline.yaml no longer declares are still shown, after the others.
  const all = [...names, ...Object.keys(record?.stages ?? {}).filter((n) => !project.graph.stages.has(n)).sort()];
  for (const name of all) {
    const s: StageRunRecord | undefined = record?.stages[name];
    const row: StageReportRow = { stage: name, reasons: (s?.reasons ?? []).map(describeReason), status: s?.status ?? (record ? 'not in run' : 'unknown') };
    if (s?.decision) row.decision = s.restoreFrom ? `${s.decision} (${s.restoreFrom})` : s.decision;
    if (s?.executor) row.executor = s.executor;
    if (s?.start) row.start = s.start;
    if (s?.end) row.end = s.end;
    if (s?.durationMs !== undefined) row.durationMs = s.durationMs;
    if (s?.queuedAt) row.queuedAt = s.queuedAt;
    if (s?.queuedAt && s.startedAt) {
      row.startedAt = s.startedAt;
      row.queueWaitS = Math.max(0, Date.parse(s.startedAt) - Date.parse(s.queuedAt)) / 1000;
    }
    if (s?.failure) row.failure = describeFailure(s.failure);
    if (s?.log) row.log = s.log;
    if (s?.status === 'failed' && s.log) row.logTail = await tail(path.resolve(project.root, s.log));
    stages.push(row);
  }
  const metrics = await readMetrics(metricsPaths(project.pipeline), workspaceReader(project.root));
  const params = new Map<string, RunReport['params'][number]>();
  for (const stage of project.pipeline.stages)
    for (const p of stage.params) {
      const k = `${p.file}\u0000${p.key}`;
      const entry = params.get(k) ?? { file: p.file, key: p.key, value: p.value, stages: [] };
      entry.stages.push(stage.name);
      params.set(k, entry);
    }
  return ok({
    ...(record ? { runId: record.runId, run: { argv: record.argv, started: record.started, ...(record.finished ? { finished: record.finished } : {}), status: record.status } } : {}),
    dag: collapseGroups(project.graph, names),
    stages,
    metrics,
    params: [...params.values()].sort((a, b) => a.file.localeCompare(b.file) || a.key.localeCompare(b.key)),
  });
}

/** The last lines of a log, reading at most its last 64 KiB (logs of hour-long builds are large). */
async function tail(file: string): Promise<string[] | undefined> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, LOG_TAIL_BYTES);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    const lines = buf.toString('utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-LOG_TAIL_LINES);
  } finally {
    await handle.close();
  }
}

const SEVERITY: NodeStatus[] = ['failed', 'cancelled', 'running', 'not-started', 'succeeded', 'restored', 'up-to-date', 'unknown'];

/** A collapsed node's status: the most severe of its members' (one failed variant marks the group). */
export function nodeStatus(report: RunReport): (node: string) => NodeStatus {
  const byStage = new Map(report.stages.map((s) => [s.stage, s.status]));
  const members = new Map(report.dag.nodes.map((n) => [n.id, n.members]));
  return (node) => {
    const statuses = (members.get(node) ?? [node]).map((m) => byStage.get(m)).filter((s): s is string => s !== undefined);
    return SEVERITY.find((s) => statuses.includes(s)) ?? 'unknown';
  };
}
