import type { ReproEvent } from '../engine/events.js';
import type { SweepView } from '../sweep/run-sweep.js';
import type { VariantRecord } from '../sweep/state.js';
import { duration } from './repro-printer.js';

interface VariantRow {
  id: string;
  total: number;
  done: number;
  failed: number;
  running: Set<string>;
  started?: number;
  ended?: number;
  final?: VariantRecord;
  task?: { title: string };
  finish?: () => void;
}

/**
 * The sweep on a terminal (listr2): one row per variant — stages done/total, the stage(s) running
 * now, elapsed time, failures — and a summary row. No commands and no output lines: a sweep of 70
 * variants has to fit on a screen. Rows are updated from the engine's events and a 1 s ticker.
 */
export async function createSweepView(write: (text: string) => void): Promise<SweepView> {
  const { Listr } = await import('listr2');
  const rows = new Map<string, VariantRow>();
  let list: { run: () => Promise<unknown> } | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let summaryTask: { title: string } | undefined;
  let endSummary: (() => void) | undefined;
  const startedAt = Date.now();

  const title = (r: VariantRow): string => {
    const elapsed = r.started === undefined ? '' : `  ${duration((r.ended ?? Date.now()) - r.started)}`;
    const failures = r.failed > 0 ? `  ${r.failed} failed` : '';
    const state = r.final ? r.final.status : r.running.size > 0 ? [...r.running].join(', ') : r.started === undefined ? 'waiting' : 'planning';
    return `${r.id}  ${r.done}/${r.total}  ${state}${elapsed}${failures}`;
  };
  const summary = (): string => {
    const all = [...rows.values()];
    const count = (s: string) => all.filter((r) => r.final?.status === s).length;
    const active = all.filter((r) => !r.final && r.started !== undefined).length;
    const parts = [`${count('succeeded') + count('failed') + count('interrupted')}/${all.length} variants done`];
    if (count('failed') > 0) parts.push(`${count('failed')} failed`);
    if (active > 0) parts.push(`${active} running`);
    parts.push(duration(Date.now() - startedAt));
    return parts.join(', ');
  };
  const refresh = (r: VariantRow) => {
    if (r.task) r.task.title = title(r);
    if (summaryTask) summaryTask.title = summary();
  };
  const ticker = setInterval(() => {
    for (const r of rows.values()) if (!r.final) refresh(r);
    if (summaryTask) summaryTask.title = summary();
  }, 1000);

  return {
    start(variants) {
      for (const v of variants) rows.set(v.id, { id: v.id, total: v.stages.length, done: 0, failed: 0, running: new Set() });
      const tasks = [...rows.values()].map((r) => ({
        title: title(r),
        task: async (_: unknown, task: { title: string }) => {
          r.task = task;
          refresh(r);
          if (!r.final) await new Promise<void>((go) => (r.finish = go));
          task.title = title(r);
          if (r.final?.status === 'failed') throw new Error(title(r));
        },
      }));
      tasks.push({
        title: summary(),
        task: async (_: unknown, task: { title: string }) => {
          summaryTask = task;
          await new Promise<void>((go) => (endSummary = go));
          task.title = summary();
        },
      });
      list = new Listr(tasks, { concurrent: true, exitOnError: false, registerSignalListeners: false, renderer: 'default', rendererOptions: { collapseErrors: false } });
      running = list.run().catch(() => undefined);
    },
    onEvent(variant, e: ReproEvent) {
      const r = rows.get(variant);
      if (!r) return;
      r.started ??= Date.now();
      switch (e.type) {
        case 'stage-started':
          r.running.add(e.stage);
          break;
        case 'stage-skipped':
        case 'stage-restored':
        case 'stage-succeeded':
          r.running.delete(e.stage);
          r.done++;
          break;
        case 'stage-failed':
          r.running.delete(e.stage);
          r.failed++;
          break;
        case 'stage-cancelled':
          r.running.delete(e.stage);
          break;
        default:
          return;
      }
      refresh(r);
    },
    variantDone(variant, record) {
      const r = rows.get(variant);
      if (!r) return;
      r.final = record;
      r.ended = Date.now();
      refresh(r);
      r.finish?.();
    },
    async stop() {
      clearInterval(ticker);
      for (const r of rows.values()) {
        if (!r.final) r.final = { id: r.id, params: {}, derived: {}, status: 'interrupted' };
        r.finish?.();
      }
      endSummary?.();
      await running;
      write(`${summary()}\n`);
    },
  };
}
