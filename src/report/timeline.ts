import { esc } from './html.js';

/** What the timeline needs of a stage's row (a `StageReportRow` has it). */
export interface TimelineStage {
  stage: string;
  status: string;
  executor?: string;
  start?: string;
  end?: string;
  /** Queued executors (Slurm): submitted at, and began to run at (ISO times). */
  queuedAt?: string;
  startedAt?: string;
}

/** One bar piece: the wait in the queue, or the stage running (or, without a queue, start to end). */
export interface TimelineSegment {
  kind: 'queue' | 'run';
  x: number;
  width: number;
  /** The tooltip. */
  title: string;
  /** Queue segments: the wait in seconds. */
  waitS?: number;
}

export interface TimelineRow {
  stage: string;
  status: string;
  y: number;
  segments: TimelineSegment[];
}

export interface TimelineLayout {
  width: number;
  height: number;
  labelWidth: number;
  rowHeight: number;
  /** Grid lines: x and the label (seconds since the first stage started). */
  ticks: { x: number; label: string }[];
  rows: TimelineRow[];
}

const PLOT_W = 760;
const ROW_H = 16;
const MIN_W = 1.5;

/**
 * Lays out the timeline: one row per stage that started, in start order, on one time axis. A stage
 * that waited in a queue gets a queue segment from `queuedAt` to `startedAt`, then its run segment
 * to its end; any other stage one segment from start to end. Times of different clocks (the job's
 * start is the node's) can disagree by a little: a start before the submission counts as no wait.
 */
export function timelineLayout(stages: readonly TimelineStage[]): TimelineLayout | undefined {
  const ran = stages
    .filter((s) => s.start !== undefined)
    .map((s) => {
      const t0 = Date.parse(s.start!);
      const t1 = Math.max(t0, Date.parse(s.end ?? s.start!));
      const queued = s.queuedAt !== undefined && s.startedAt !== undefined ? { from: Date.parse(s.queuedAt), to: Date.parse(s.startedAt) } : undefined;
      return { s, t0, t1, queued: queued && Number.isFinite(queued.from) && Number.isFinite(queued.to) ? queued : undefined };
    });
  if (ran.length === 0) return undefined;
  ran.sort((a, b) => a.t0 - b.t0 || a.s.stage.localeCompare(b.s.stage));
  const start = Math.min(...ran.map((r) => Math.min(r.t0, r.queued?.from ?? r.t0)));
  const finish = Math.max(...ran.map((r) => Math.max(r.t1, r.queued?.to ?? r.t1)));
  const span = Math.max(1, finish - start);
  const labelWidth = Math.min(260, 10 + Math.max(...ran.map((r) => r.s.stage.length)) * 7);
  const x = (t: number) => labelWidth + ((t - start) / span) * PLOT_W;
  const height = ran.length * ROW_H + 24;
  const ticks = Array.from({ length: 6 }, (_, i) => start + (span * i) / 5).map((t) => ({ x: x(t), label: `${((t - start) / 1000).toFixed(1)} s` }));
  const rows = ran.map(({ s, t0, t1, queued }, i): TimelineRow => {
    const segments: TimelineSegment[] = [];
    const executor = `${s.executor ?? '?'} executor`;
    if (queued) {
      const runFrom = Math.min(Math.max(queued.from, queued.to), t1);
      const waitS = Math.max(0, queued.to - queued.from) / 1000;
      segments.push({
        kind: 'queue',
        x: x(queued.from),
        width: Math.max(MIN_W, x(runFrom) - x(queued.from)),
        title: `${s.stage}: waited ${waitS.toFixed(1)} s in the ${s.executor ? `${s.executor} ` : ''}queue (submitted ${s.queuedAt}, running from ${s.startedAt})`,
        waitS,
      });
      segments.push({ kind: 'run', x: x(runFrom), width: Math.max(MIN_W, x(t1) - x(runFrom)), title: `${s.stage}: ${s.status}, ${executor}, ran ${s.startedAt} → ${s.end ?? '(running)'}` });
    } else {
      segments.push({ kind: 'run', x: x(t0), width: Math.max(MIN_W, x(t1) - x(t0)), title: `${s.stage}: ${s.status}, ${executor}, ${s.start} → ${s.end ?? '(running)'}` });
    }
    return { stage: s.stage, status: s.status, y: i * ROW_H + 2, segments };
  });
  return { width: labelWidth + PLOT_W + 20, height, labelWidth, rowHeight: ROW_H, ticks, rows };
}

const STATUS_COLOR: Record<string, string> = { succeeded: '#2da44e', failed: '#cf222e', cancelled: '#bf8700', restored: '#8250df', running: '#1f6feb' };

/** The timeline as inline SVG; queue waits hatched grey, with their seconds on hover (and written in when they fit). */
export function timelineSvg(stages: readonly TimelineStage[]): string {
  const layout = timelineLayout(stages);
  if (!layout) return '<p>No stage executed in this run (everything was up to date or restored).</p>';
  const { height: h, rowHeight: rowH } = layout;
  const parts = layout.ticks.map((t) => `<line x1="${t.x.toFixed(1)}" x2="${t.x.toFixed(1)}" y1="0" y2="${h - 18}" stroke="#e1e4ea"/><text x="${t.x.toFixed(1)}" y="${h - 4}" font-size="10" text-anchor="middle">${t.label}</text>`);
  let queues = 0;
  for (const row of layout.rows) {
    parts.push(`<text x="${layout.labelWidth - 6}" y="${row.y + 11}" font-size="11" text-anchor="end">${esc(row.stage.length > 36 ? `${row.stage.slice(0, 35)}…` : row.stage)}</text>`);
    for (const seg of row.segments) {
      const box = `x="${seg.x.toFixed(1)}" y="${row.y}" width="${seg.width.toFixed(1)}" height="${rowH - 4}"`;
      if (seg.kind === 'run') {
        parts.push(`<rect class="timeline-bar" data-stage="${esc(row.stage)}" ${box} fill="${STATUS_COLOR[row.status] ?? '#8c95a3'}"><title>${esc(seg.title)}</title></rect>`);
        continue;
      }
      queues++;
      const wait = `${seg.waitS!.toFixed(1)} s queued`;
      parts.push(
        `<rect class="timeline-queue" data-stage="${esc(row.stage)}" data-wait-s="${seg.waitS!.toFixed(3)}" ${box} fill="url(#timeline-queue-hatch)" stroke="#8c95a3" stroke-width="0.5"><title>${esc(seg.title)}</title></rect>` +
          (seg.width >= wait.length * 5.5 + 6 ? `<text class="timeline-queue-label" x="${(seg.x + seg.width / 2).toFixed(1)}" y="${row.y + 9.5}" font-size="9" text-anchor="middle" pointer-events="none">${wait}</text>` : ''),
      );
    }
  }
  const defs = queues > 0 ? '<defs><pattern id="timeline-queue-hatch" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" fill="#eef0f3"/><line x1="0" y1="0" x2="0" y2="5" stroke="#a8b0bd" stroke-width="2"/></pattern></defs>' : '';
  const legend = queues > 0 ? '<p class="timeline-legend"><svg width="22" height="12"><rect width="22" height="12" fill="#eef0f3" stroke="#8c95a3" stroke-width="0.5"/><path d="M0 12L12 0M6 12L18 0M12 12L22 2" stroke="#a8b0bd" stroke-width="2"/></svg> waiting in the queue (a Slurm job from its submission to its start); hover a bar for the times</p>' : '';
  return `<div class="scroll"><svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${h}">${defs}${parts.join('')}</svg></div>${legend}`;
}
