/** The run report's timeline, laid out without a browser: queue waits of Slurm stages as their own segment. */
import { describe, expect, it } from 'vitest';
import { timelineLayout, timelineSvg, type TimelineStage } from '../../src/report/timeline.js';

const at = (s: number) => new Date(Date.UTC(2026, 11, 3, 10, 0, s)).toISOString();

describe('timeline layout (pure)', () => {
  const stages: TimelineStage[] = [
    { stage: 'prep', status: 'succeeded', executor: 'local', start: at(0), end: at(10) },
    // Submitted at 11 s, waited in the queue until 41 s, ran until 51 s.
    { stage: 'synth', status: 'succeeded', executor: 'slurm', start: at(10), end: at(51), queuedAt: at(11), startedAt: at(41) },
    { stage: 'docs', status: 'failed', executor: 'docker', start: at(20), end: at(30) },
    { stage: 'never', status: 'up-to-date' },
  ];

  it('gives a queued stage a queue segment from submission to start, then its run segment; other stages one run segment', () => {
    const layout = timelineLayout(stages)!;
    expect(layout.rows.map((r) => [r.stage, r.segments.map((s) => s.kind)])).toEqual([
      ['prep', ['run']],
      ['synth', ['queue', 'run']],
      ['docs', ['run']],
    ]);
    const x0 = layout.labelWidth;
    const perS = 760 / 51;
    const [queue, run] = layout.rows[1]!.segments;
    expect(queue!.x).toBeCloseTo(x0 + 11 * perS);
    expect(queue!.width).toBeCloseTo(30 * perS);
    expect(queue!.waitS).toBe(30);
    expect(queue!.title).toBe(`synth: waited 30.0 s in the slurm queue (submitted ${at(11)}, running from ${at(41)})`);
    // The run segment starts where the wait ends and reaches the stage's end.
    expect(run!.x).toBeCloseTo(queue!.x + queue!.width);
    expect(run!.x + run!.width).toBeCloseTo(x0 + 51 * perS);
    expect(run!.title).toBe(`synth: succeeded, slurm executor, ran ${at(41)} → ${at(51)}`);
    const docs = layout.rows[2]!.segments[0]!;
    expect(docs.x).toBeCloseTo(x0 + 20 * perS);
    expect(docs.width).toBeCloseTo(10 * perS);
    expect(layout.ticks.map((t) => t.label)).toEqual(['0.0 s', '10.2 s', '20.4 s', '30.6 s', '40.8 s', '51.0 s']);
  });

  it('counts a job start before its submission (clocks of two machines) as no wait, and draws no queue without both times', () => {
    const layout = timelineLayout([
      { stage: 'a', status: 'succeeded', executor: 'slurm', start: at(0), end: at(10), queuedAt: at(1), startedAt: at(0) },
      { stage: 'b', status: 'cancelled', executor: 'slurm', start: at(0), end: at(10), queuedAt: at(1) },
    ])!;
    const [queue, run] = layout.rows[0]!.segments;
    expect(queue!.waitS).toBe(0);
    expect(run!.x).toBeGreaterThanOrEqual(queue!.x);
    expect(layout.rows[1]!.segments.map((s) => s.kind)).toEqual(['run']);
  });

  it('has nothing to draw when no stage started', () => {
    expect(timelineLayout([{ stage: 'x', status: 'up-to-date' }])).toBeUndefined();
    expect(timelineSvg([{ stage: 'x', status: 'up-to-date' }])).toContain('No stage executed');
  });

  it('renders a queue segment as a hatched rect with the wait in data and tooltip, and a legend only when there is one', () => {
    const svg = timelineSvg(stages);
    expect(svg.match(/class="timeline-queue"/g)).toHaveLength(1);
    expect(svg.match(/class="timeline-bar"/g)).toHaveLength(3);
    expect(svg).toContain('data-stage="synth" data-wait-s="30.000"');
    expect(svg).toContain('fill="url(#timeline-queue-hatch)"');
    expect(svg).toContain('<pattern id="timeline-queue-hatch"');
    expect(svg).toContain('30.0 s queued');
    expect(svg).toContain('timeline-legend');
    const local = timelineSvg(stages.filter((s) => s.executor !== 'slurm'));
    expect(local).not.toContain('timeline-queue');
    expect(local).not.toContain('timeline-legend');
  });
});
