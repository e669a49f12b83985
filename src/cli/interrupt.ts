import type { ReproEvent } from '../engine/events.js';
import type { Executor } from '../exec/executor.js';
import { EXIT } from './io.js';

export interface Interruption {
  /** Aborted on the first Ctrl-C or SIGTERM: running stages cancel, nothing new starts. */
  signal: AbortSignal;
  /** Where to report "interrupting" (the run's progress display), once it exists. */
  report: (send: (e: ReproEvent) => void) => void;
  dispose: () => void;
}

/**
 * Ctrl-C / SIGTERM for commands that run stages: the first stops them gracefully (the run then
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
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    report: (s) => (send = s),
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
