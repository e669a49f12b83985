import path from 'node:path';
import type { ReproListener } from '../engine/events.js';
import { createTerminalProgress, type TerminalProgress } from './listr-progress.js';
import { createReproPrinter } from './repro-printer.js';

export interface RunDisplayOptions {
  root: string;
  write: (text: string) => void;
  isTTY: boolean;
  verbose: boolean;
  /** The stages that will run or restore, asked for only when a terminal shows one row per stage. */
  stages: () => Promise<string[]>;
}

/** How one run is shown: listr2 rows on a terminal, plain timestamped lines elsewhere. */
export interface RunDisplay {
  onEvent: ReproListener;
  /** Whether anything shows output lines as they come (the terminal rows, `-v`). */
  followsOutput: boolean;
  /** After the run: stops the terminal display, or prints the summary line with the run record's path. */
  end(summary: string, recordFile: string): Promise<void>;
}

export async function createRunDisplay(opts: RunDisplayOptions): Promise<RunDisplay> {
  let terminal: TerminalProgress | undefined;
  if (opts.isTTY && !opts.verbose) terminal = await createTerminalProgress(await opts.stages(), opts.write);
  return {
    onEvent: terminal?.onEvent ?? createReproPrinter({ root: opts.root, write: opts.write, timestamps: !opts.isTTY, verbose: opts.verbose }),
    followsOutput: terminal !== undefined || opts.verbose,
    end: async (summary, recordFile) => {
      await terminal?.stop();
      if (!terminal) opts.write(`${summary} (run record: ${path.relative(opts.root, recordFile)})\n`);
    },
  };
}
