import path from 'node:path';
import type { Stage } from '../../model/stage.js';
import { shellQuote } from '../../util/shell-quote.js';

export interface StageScriptRequest {
  stage: Stage;
  root: string;
  /** The stage's log: the script appends everything its commands print to it. */
  logFile: string;
  /** Where the script writes `<exit code> <step>` as its last act (the Slurm job script's format). */
  statusFile: string;
}

/** Exported by the script: every process of the stage carries its group's id, even one that left the group. */
export const GROUP_VARIABLE = 'ORCHESTRATOR_LOCAL_GROUP';

/**
 * The `sh` script that runs one local stage, detached from the orchestrator: it sends its output to
 * the log itself and records how it ended in the status file, so it needs nothing from the process
 * that started it and can be adopted by a later one. Each command runs in a fresh `sh -c` in the
 * stage's wdir, in order, stopping at the first failure; a command killed by a signal reports
 * 128+N, as a shell does. Killed itself (cancel), the script writes no status.
 */
export function stageScript(req: StageScriptRequest): string {
  const { stage } = req;
  const lines = [
    `# orchestrator local stage ${stage.name}`,
    `exec </dev/null >>${shellQuote(req.logFile)} 2>&1`,
    `status_file=${shellQuote(req.statusFile)}`,
    // Builtins only: a stage's PATH may hold nothing but its own tools. One short write; a reader
    // takes a status that does not parse yet as not written.
    'finish() {',
    `  printf '%s %s\\n' "$1" "$2" > "$status_file"`,
    '  exit "$1"',
    '}',
    `export ${GROUP_VARIABLE}=$$`,
    `cd ${shellQuote(path.join(req.root, stage.wdir))} || finish 1 cd`,
    ...stage.cmd.map((command, i) => `sh -c ${shellQuote(command)} || finish $? ${i + 1}`),
    'finish 0 done',
    '',
  ];
  return lines.join('\n');
}
