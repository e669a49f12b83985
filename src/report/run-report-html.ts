import { dagSvg } from './dag-svg.js';
import { esc, htmlPage, htmlTable } from './html.js';
import { nodeStatus, type RunReport, type StageReportRow } from './run-report.js';

const STATUS_COLOR: Record<string, string> = { succeeded: '#2da44e', failed: '#cf222e', cancelled: '#bf8700', restored: '#8250df', running: '#1f6feb' };

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
      ['stage', 'decision', 'reasons', 'status', 'executor', 'duration (s)'],
      report.stages.map((s) => [s.stage, s.decision ?? '', s.reasons.join('; '), s.status, s.executor ?? '', s.durationMs === undefined ? '' : Number((s.durationMs / 1000).toFixed(2))]),
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

/** Bars from start to end per stage that ran, on one time axis; hover shows executor and times. */
function timelineSvg(stages: readonly StageReportRow[]): string {
  const ran = stages.filter((s) => s.start !== undefined).map((s) => ({ s, t0: Date.parse(s.start!), t1: Date.parse(s.end ?? s.start!) }));
  if (ran.length === 0) return '<p>No stage executed in this run (everything was up to date or restored).</p>';
  ran.sort((a, b) => a.t0 - b.t0);
  const start = Math.min(...ran.map((r) => r.t0));
  const span = Math.max(1, Math.max(...ran.map((r) => r.t1)) - start);
  const labelW = Math.min(260, 10 + Math.max(...ran.map((r) => r.s.stage.length)) * 7);
  const plotW = 760;
  const rowH = 16;
  const h = ran.length * rowH + 24;
  const x = (t: number) => labelW + ((t - start) / span) * plotW;
  const ticks = Array.from({ length: 6 }, (_, i) => start + (span * i) / 5);
  const parts = ticks.map((t) => `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="0" y2="${h - 18}" stroke="#e1e4ea"/><text x="${x(t).toFixed(1)}" y="${h - 4}" font-size="10" text-anchor="middle">${((t - start) / 1000).toFixed(1)} s</text>`);
  ran.forEach(({ s, t0, t1 }, i) => {
    const y = i * rowH + 2;
    parts.push(
      `<text x="${labelW - 6}" y="${y + 11}" font-size="11" text-anchor="end">${esc(s.stage.length > 36 ? `${s.stage.slice(0, 35)}…` : s.stage)}</text>` +
        `<rect class="timeline-bar" data-stage="${esc(s.stage)}" x="${x(t0).toFixed(1)}" y="${y}" width="${Math.max(1.5, x(t1) - x(t0)).toFixed(1)}" height="${rowH - 4}" fill="${STATUS_COLOR[s.status] ?? '#8c95a3'}"><title>${esc(`${s.stage}: ${s.status}, ${s.executor ?? '?'} executor, ${s.start} → ${s.end ?? '(running)'}`)}</title></rect>`,
    );
  });
  return `<div class="scroll"><svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 20}" height="${h}">${parts.join('')}</svg></div>`;
}
