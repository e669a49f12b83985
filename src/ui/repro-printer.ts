import path from 'node:path';
import type { ReproEvent } from '../engine/events.js';
import { describeReason } from './change-reason-text.js';
import { describeFailure, describeNotStarted } from './failure-text.js';

export interface PrinterOptions {
  root: string;
  write: (text: string) => void;
  /** Prefix every line with a timestamp (logs, CI). */
  timestamps: boolean;
  /** Stream every output line, prefixed by the stage name. */
  verbose: boolean;
}

/** Output lines kept per running stage, shown when it fails so CI logs say why without opening files. */
const FAILURE_TAIL = 15;

/** Plain-line progress for `repro`: no cursor movement, never splits a line, safe for logs and CI. */
export function createReproPrinter(opts: PrinterOptions): (e: ReproEvent) => void {
  const rel = (p: string) => path.relative(opts.root, p) || p;
  const say = (text: string) => opts.write(`${opts.timestamps ? `${clock()} ` : ''}${text}\n`);
  const tails = new Map<string, string[]>();
  return (e) => {
    switch (e.type) {
      case 'stage-planned': {
        // The one reason worth a line before the stage starts: a restore was refused (a bad cache object).
        const refused = e.plan.reasons.find((r) => r.kind === 'cache-restore-failed');
        return refused ? say(`${e.stage}: ${describeReason(refused)}`) : undefined;
      }
      case 'stage-skipped':
        return say(`${e.stage}: ${e.plan.frozen ? 'frozen, skipped' : 'up to date'}`);
      case 'stage-restored':
        return say(`${e.stage}: restored from ${e.plan.restoreFrom === 'run-cache' ? 'the run-cache' : 'the cache'}`);
      case 'stage-started':
        tails.set(e.stage, []);
        return say(`${e.stage}: started: ${e.cmd.join(' && ')}`);
      case 'stage-output': {
        if (opts.verbose) return opts.write(`${e.stage} | ${e.line}\n`);
        const tail = tails.get(e.stage);
        if (tail && tail.push(e.line) > FAILURE_TAIL) tail.shift();
        return;
      }
      case 'stage-succeeded':
        tails.delete(e.stage);
        return say(`${e.stage}: finished in ${duration(e.durationMs)}`);
      case 'stage-failed': {
        say(`${e.stage}: failed: ${describeFailure(e.failure)}${e.logFile ? `, log: ${rel(e.logFile)}` : ''}`);
        const tail = tails.get(e.stage) ?? [];
        tails.delete(e.stage);
        if (!opts.verbose && tail.length > 0) opts.write(tail.map((l) => `${e.stage} | ${l}\n`).join(''));
        return;
      }
      case 'stage-cancelled':
        tails.delete(e.stage);
        return say(`${e.stage}: cancelled${e.logFile ? `, log: ${rel(e.logFile)}` : ''}`);
      case 'stage-not-started':
        return say(`${e.stage}: not run (${describeNotStarted(e.why)})`);
      case 'interrupting':
        return say('interrupted: stopping running stages (press Ctrl-C again to exit at once)');
    }
  };
}

export function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}
