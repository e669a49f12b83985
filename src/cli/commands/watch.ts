import { loadRunTarget } from '../../engine/run-target.js';
import { createExecutors } from '../../exec/registry.js';
import { createRunDisplay } from '../../ui/run-display.js';
import { watch } from '../../watch/watcher.js';
import { withExclusiveWorkspace } from '../exclusive-workspace.js';
import { STOP_SIGNALS } from '../interrupt.js';
import { EXIT, type Io } from '../io.js';
import { machineCapacity } from '../machine.js';
import { loadProject, report } from '../project.js';

export interface WatchFlags {
  jobs: number;
  keepGoing: boolean;
  verbose: boolean;
  resources: Record<string, number>;
  /** Quiet period after the last file event before acting. */
  debounceMs: number;
}

/**
 * `orchestrator watch`: holds the workspace lock and hands over to the watcher (src/watch), which
 * runs every pass through the same engine lifecycle and pre-flight checks as repro. Here: the
 * first Ctrl-C stops watching (interrupting a running pass), and everything is rendered.
 */
export async function watchCommand(root: string, targets: string[], flags: WatchFlags, io: Io): Promise<number> {
  const first = loadProject(root, io);
  if (typeof first === 'number') return first;
  const executors = createExecutors();
  return withExclusiveWorkspace(first, io, { wait: true }, async (ws) => {
    const stop = new AbortController();
    const onSignal = () => {
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
      stop.abort();
    };
    for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
    try {
      const end = await watch({
        ws,
        executors,
        load: () => loadRunTarget({ root, targets, select: {}, executors, machine: machineCapacity(), resourceOverrides: flags.resources }),
        jobs: flags.jobs,
        keepGoing: flags.keepGoing,
        debounceMs: flags.debounceMs,
        argv: process.argv.slice(2),
        signal: stop.signal,
        ui: {
          problem: (p) => void report(p.diagnostics, p.files, io),
          message: (text) => io.out(`${text}\n`),
          error: (e) => io.err(`error: ${e.message}\n`),
          display: (run) =>
            createRunDisplay({
              root: ws.root,
              write: io.out,
              isTTY: io.isTTY,
              verbose: flags.verbose,
              stages: async () => (await run.predict({ force: false, useRunCache: true })).filter((p) => p.action !== 'skip').map((p) => p.stage),
            }),
        },
      });
      return end === 'interrupted' ? EXIT.interrupted : EXIT.ok;
    } finally {
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    }
  });
}
