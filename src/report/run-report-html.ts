import { dagSvg } from './dag-svg.js';
import { esc, htmlPage, htmlTable } from './html.js';
import { nodeStatus, type RunReport } from './run-report.js';
import { timelineSvg } from './timeline.js';

/** The report page: run summary, DAG, decisions and reasons, timeline, failures, metrics, params, plots. */
export async function runReportHtml(report: RunReport, plotsHtml: string | undefined): Promise<string> {
  const sections: string[] = [];
  const counts = new Map<string, number>();
  for (const s of report.stages) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  sections.push(
    `<section id="summary"><h2>Run</h2><p>${report.run ? `<b>${esc(report.run.status)}</b> · started ${esc(report.run.started)}${report.run.finished ? ` · finished ${esc(report.run.finished)}` : ''} · <code>orchestrator ${esc(report.run.argv.join(' '))}</code>` : 'No run recorded in this workspace yet (orchestrator repro writes one).'}</p><p>${[...counts].map(([s, n]) => `${n} ${esc(s)}`).join(' · ')}</p></section>`,
  );
  sections.push(`<section id="dag"><h2>Pipeline (${report.stages.length} stages, ${report.dag.nodes.length} nodes; foreach/matrix groups collapsed)</h2><div class="scroll">${await dagSvg(report.dag, nodeStatus(report))}</div></section>`);
  sections.push(
    `<section id="stages"><h2>Decisions and outcomes</h2>${htmlTable(
      ['stage', 'decision', 'reasons', 'status', 'executor', 'queued (s)', 'duration (s)'],
      report.stages.map((s) => [s.stage, s.decision ?? '', s.reasons.join('; '), s.status, s.executor ?? '', s.queueWaitS === undefined ? '' : Number(s.queueWaitS.toFixed(2)), s.durationMs === undefined ? '' : Number((s.durationMs / 1000).toFixed(2))]),
      { sortable: true, id: 'stages-table' },
    )}</section>`,
  );
  sections.push(`<section id="timeline"><h2>Timeline</h2>${timelineSvg(report.stages)}</section>`);
  const failed = report.stages.filter((s) => s.status === 'failed');
  if (failed.length > 0)
    sections.push(
      `<section id="failures"><h2>Failures</h2>${failed
        .map((s) => `<h3 class="failed">${esc(s.stage)}</h3><p>${esc(s.failure ?? '')}${s.log ? ` · log: <code>${esc(s.log)}</code>` : ''}</p>${s.logTail ? `<pre class="log-tail">${esc(s.logTail.join('\n'))}</pre>` : ''}`)
        .join('')}</section>`,
    );
  const metricRows = report.metrics.flatMap((m) => (m.error ? [[m.path, '', `(${m.error})`]] : Object.entries(m.values).map(([k, v]) => [m.path, k, v])));
  sections.push(`<section id="metrics"><h2>Metrics</h2>${metricRows.length === 0 ? '<p>No metrics declared.</p>' : htmlTable(['file', 'metric', 'value'], metricRows, { sortable: true })}</section>`);
  sections.push(
    `<section id="params"><h2>Params</h2>${report.params.length === 0 ? '<p>No params tracked.</p>' : htmlTable(['file', 'key', 'value', 'stages'], report.params.map((p) => [p.file, p.key || '(whole file)', typeof p.value === 'object' ? JSON.stringify(p.value) : (p.value as string | number), stagesText(p.stages)]), { sortable: true })}</section>`,
  );
  if (plotsHtml !== undefined) sections.push(`<section id="plots"><h2>Plots</h2>${plotsHtml}</section>`);
  return htmlPage(report.runId ? `Run ${report.runId}` : 'Pipeline report', 'orchestrator report', sections.join('\n'));
}

function stagesText(stages: string[]): string {
  return stages.length <= 4 ? stages.join(', ') : `${stages.slice(0, 3).join(', ')} and ${stages.length - 3} more`;
}
