import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { stageFileName, workspaceLayout } from '../../workspace/layout.js';
import { EXIT, type Io } from '../io.js';

/**
 * Prints a stage's log: the latest execution, or `--run ID`. Works from the logs directory alone, so
 * the log of a stage since removed from pipeline.yaml (or of a broken pipeline.yaml) is still there.
 */
export async function logsCommand(root: string, stage: string, flags: { run?: string; list: boolean }, io: Io): Promise<number> {
  const logsDir = workspaceLayout(root).logs;
  const fileOf = (runId: string) => path.join(logsDir, runId, `${stageFileName(stage)}.log`);
  let runs: string[];
  try {
    // One directory per run (run ids sort by time); a stage has a log in the runs that executed it.
    runs = (await readdir(logsDir)).filter((runId) => existsSync(fileOf(runId))).sort();
  } catch {
    runs = [];
  }
  if (runs.length === 0) {
    io.err(`error: no logs for stage "${stage}" (it has not run in this workspace)\n  hint: stage names are listed by "orchestrator dag"\n`);
    return EXIT.failed;
  }
  if (flags.list) {
    io.out(`${runs.join('\n')}\n`);
    return EXIT.ok;
  }
  const runId = flags.run ?? runs[runs.length - 1]!;
  if (!runs.includes(runId)) {
    io.err(`error: stage "${stage}" has no log for run ${runId}\n  hint: "orchestrator logs ${stage} --list" lists its runs\n`);
    return EXIT.failed;
  }
  io.out(await readFile(fileOf(runId), 'utf8'));
  return EXIT.ok;
}
