import type { ReproEvent } from '../engine/events.js';
import { describeFailure, describeNotStarted } from './failure-text.js';
import { duration } from './repro-printer.js';

type Settle = { kind: 'done'; title: string } | { kind: 'skip'; message: string } | { kind: 'fail'; message: string };

interface Row {
  /** The first outcome wins; it may arrive before listr has started the row's task. */
  outcome?: Settle;
  resolve?: (s: Settle) => void;
  task?: { title: string; output: string | undefined };
  started?: number;
  lastLine?: string;
}

export interface TerminalProgress {
  onEvent: (e: ReproEvent) => void;
  /** Settles rows that never got an outcome, waits for the renderer, prints the summary. */
  stop: () => Promise<void>;
}

/**
 * listr2 progress for a terminal: one row per stage predicted to run or restore, showing its state,
 * elapsed time and last output line; up-to-date stages are only counted. Our scheduler decides what
 * runs when; every listr task just waits for its stage's outcome, and listr's own signal handling is
 * off (Ctrl-C belongs to the repro command).
 */
export async function createTerminalProgress(active: readonly string[], write: (text: string) => void): Promise<TerminalProgress> {
  const { Listr } = await import('listr2');
  const rows = new Map<string, Row>();
  const counts = { 'up to date': 0, restored: 0, ran: 0, failed: 0, 'not run': 0 };
  const list = new Listr(
    active.map((name) => ({
      title: `${name}  waiting`,
      task: async (_: unknown, task: { title: string; output: string | undefined; skip: (m: string) => void }) => {
        const row = rows.get(name)!;
        row.task = task;
        const outcome = row.outcome ?? (await new Promise<Settle>((resolve) => (row.resolve = resolve)));
        if (outcome.kind === 'skip') return task.skip(`${name}  ${outcome.message}`);
        if (outcome.kind === 'fail') throw new Error(`${name}  ${outcome.message}`);
        task.title = outcome.title;
      },
    })),
    { concurrent: true, exitOnError: false, registerSignalListeners: false, renderer: 'default', rendererOptions: { collapseErrors: false } },
  );
  for (const name of active) rows.set(name, {});
  const running = list.run().catch(() => undefined);
  const ticker = setInterval(() => {
    for (const [name, row] of rows) if (row.started !== undefined && row.task && !row.outcome) row.task.title = `${name}  running ${duration(Date.now() - row.started)}`;
  }, 1000);

  const settle = (stage: string, s: Settle): void => {
    const row = rows.get(stage);
    if (!row || row.outcome) return;
    row.outcome = s;
    row.resolve?.(s);
  };
  const onEvent = (e: ReproEvent): void => {
    switch (e.type) {
      case 'stage-started': {
        const row = rows.get(e.stage);
        if (row) row.started = Date.now();
        if (row?.task) row.task.title = `${e.stage}  running`;
        return;
      }
      case 'stage-output': {
        const row = rows.get(e.stage);
        if (row?.task && e.line.trim() !== '') row.task.output = e.line;
        return;
      }
      case 'stage-skipped':
        counts['up to date']++;
        return settle(e.stage, { kind: 'skip', message: e.plan.frozen ? 'frozen' : 'up to date' });
      case 'stage-restored':
        counts.restored++;
        return settle(e.stage, { kind: 'done', title: `${e.stage}  restored from ${e.plan.restoreFrom === 'run-cache' ? 'the run-cache' : 'the cache'}` });
      case 'stage-succeeded':
        counts.ran++;
        return settle(e.stage, { kind: 'done', title: `${e.stage}  finished in ${duration(e.durationMs)}` });
      case 'stage-failed':
        counts.failed++;
        return settle(e.stage, { kind: 'fail', message: `failed: ${describeFailure(e.failure)}${e.logFile ? `\nlog: ${e.logFile}` : ''}` });
      case 'stage-cancelled':
        return settle(e.stage, { kind: 'skip', message: 'cancelled' });
      case 'stage-not-started':
        counts['not run']++;
        return settle(e.stage, { kind: 'skip', message: e.why.reason === 'stopped' ? 'not run' : `not run: ${describeNotStarted(e.why)}` });
      case 'stage-planned':
      case 'stage-queued':
      case 'interrupting':
        return;
    }
  };
  return {
    onEvent,
    stop: async () => {
      clearInterval(ticker);
      for (const name of rows.keys()) settle(name, { kind: 'skip', message: 'not run' });
      await running;
      const parts = Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
      write(`${parts.length > 0 ? parts.join(', ') : 'nothing to do'}\n`);
    },
  };
}
