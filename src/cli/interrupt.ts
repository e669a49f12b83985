import type { ReproEvent } from '../engine/events.js';
import type { Executor } from '../exec/executor.js';
import { EXIT } from './io.js';

export interface Interruption {
  /** Aborted on the first Ctrl-C, SIGTERM or SIGHUP: running stages cancel, nothing new starts. */
  signal: AbortSignal;
  /** Where to report "interrupting" (the run's progress display), once it exists. */
  report: (send: (e: ReproEvent) => void) => void;
  dispose: () => void;
}

/** Signals that cancel a run: Ctrl-C, `kill`, and the terminal closing. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Ctrl-C / SIGTERM / SIGHUP for commands that run stages: the first stops them gracefully (the run then
 * exits 130); a second kills what still runs synchronously and exits at once.
 */
export function handleInterrupts(executors: Iterable<Executor>): Interruption {
  const controller = new AbortController();
  let send: ((e: ReproEvent) => void) | undefined;
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) {
      for (const executor of executors) executor.killAllNow();
      process.exit(EXIT.interrupted);
    }
    send?.({ type: 'interrupting' });
    controller.abort();
  };
  // A closed terminal (SIGHUP) cancels too: stages run in their own sessions, so it reaches only us.
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  return {
    signal: controller.signal,
    report: (s) => (send = s),
    dispose: () => {
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    },
  };
}
