import path from 'node:path';
import type { Stage } from '../../model/stage.js';
import type { ShellWord } from './container-command.js';
import { shellQuote } from '../../util/shell-quote.js';

export interface JobScriptRequest {
  stage: Stage;
  root: string;
  runId: string;
  /** The status file with `${SLURM_JOB_ID}` in place of the job id (expanded on the node). */
  statusFile: string;
  /**
   * Where the job writes when it began to run (`<seconds since the epoch>.<nanoseconds>`), as its first
   * act, with `${SLURM_JOB_ID}` like `statusFile`: the end of its wait in the queue, by the node's clock.
   */
  startedFile?: string;
  /** Per command, the words that run it; default `sh -c COMMAND` on the node itself. */
  commandWords?: (command: string, index: number) => ShellWord[];
}

/** Where the job ended, as the job script writes it into the status file: `<exit code> <where>`. */
export type ScriptStep = 'cd' | 'setup' | 'done' | number;

/**
 * The batch script for one stage. It runs in bash (the `module` function of HPC setup preambles is a
 * bash function), each of the stage's commands in a fresh `sh -c` as locally, in order, stopping at
 * the first failure, and writes `<code> <step>` to the status file atomically as its last act: the
 * orchestrator trusts that file, not Slurm's accounting, for the exit code.
 */
export function jobScript(req: JobScriptRequest): string {
  const { stage, root } = req;
  const wdir = path.join(root, stage.wdir);
  const lines = [
    '#!/bin/bash',
    `# orchestrator job script: stage ${stage.name}, run ${req.runId}, workspace ${root}`,
    '# Written for every submission; the job log and the exit-status file sit next to it.',
    ...(req.startedFile === undefined
      ? []
      : [
          '# first act: when the job left the queue (for the report; a failure here never fails the job)',
          `started_file=${statusPath(req.startedFile)}`,
          `{ date +%s.%N > "$started_file.tmp" && mv -f "$started_file.tmp" "$started_file"; } 2>/dev/null`,
        ]),
    `status_file=${statusPath(req.statusFile)}`,
    'finish() {',
    `  printf '%s %s\\n' "$1" "$2" > "$status_file.tmp" && mv -f "$status_file.tmp" "$status_file"`,
    '  exit "$1"',
    '}',
    ...STOP_ON_TERM,
    `cd ${shellQuote(wdir)} || finish 1 cd`,
  ];
  const setup = setupCommands(stage);
  if (setup.length > 0) {
    lines.push('# slurm.setup, each entry checked');
    for (const entry of setup) lines.push('{', entry, '} || finish $? setup');
  }
  const env = Object.entries(stage.env);
  lines.push("# the stage's env (after setup, so it wins), then ORCHESTRATOR_*");
  for (const [k, v] of env) lines.push(`export ${k}=${shellQuote(v)}`);
  lines.push(
    `export ORCHESTRATOR_STAGE=${shellQuote(stage.name)} ORCHESTRATOR_ROOT=${shellQuote(root)} ORCHESTRATOR_RUN_ID=${shellQuote(req.runId)}`,
    '# the commands, in order; the first failure ends the job with its exit code',
  );
  const words = req.commandWords ?? ((command: string) => ['sh', '-c', command]);
  stage.cmd.forEach((command, i) => lines.push(`run ${words(command, i).map(renderWord).join(' ')} || finish $? ${i + 1}`));
  lines.push('finish 0 done', '');
  return lines.join('\n');
}

/** Seconds a cancelled job's commands get after SIGTERM before the script SIGKILLs them all. */
export const JOB_STOP_GRACE_S = 5;

/**
 * Cancellation (Ctrl-C, scancel, time limit): Slurm sends SIGTERM to the job's processes, and SIGKILL
 * after KillWait (30 s by default) only to those it still tracks. With proctrack/linuxproc it tracks
 * processes through their parents, so if this script died of the SIGTERM, a command that ignores it
 * would be reparented, lost and left running. So the script survives SIGTERM, gives its commands
 * JOB_STOP_GRACE_S (below the default KillWait, so it acts first), then SIGKILLs its process group
 * (slurmstepd makes the batch script a group leader): the commands and everything they started,
 * itself included. Commands run in the background and are waited for, because bash runs a trap only
 * after a foreground command has ended (and get SIGINT and SIGQUIT back, which bash would ignore in
 * background commands). proctrack/cgroup catches even processes that left the group.
 */
const STOP_ON_TERM = [
  'child=',
  'stop_job() {',
  "  trap '' TERM INT",
  '  i=0',
  `  while [ -n "$child" ] && kill -0 "$child" 2>/dev/null && [ "$i" -lt ${JOB_STOP_GRACE_S * 10} ]; do sleep 0.1; i=$((i + 1)); done`,
  '  kill -KILL -- -$$ 2>/dev/null',
  '  [ -n "$child" ] && kill -KILL "$child" 2>/dev/null',
  '  exit 143',
  '}',
  'trap stop_job TERM INT',
  'run() {',
  '  ( trap - INT QUIT; exec "$@" ) &',
  '  child=$!',
  '  wait "$child"',
  '}',
];

/** `slurm.setup` as a list of entries. */
export function setupCommands(stage: Stage): string[] {
  const setup = stage.slurm?.setup;
  return setup === undefined ? [] : typeof setup === 'string' ? [setup] : setup;
}

/** Parses the status file: `0 done`, `3 2` (command 2 exited 3), `1 cd`, `127 setup`. */
export function parseStatusFile(text: string): { code: number; step: ScriptStep } | undefined {
  const m = /^(\d+) (cd|setup|done|\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const step = m[2]!;
  return { code: Number(m[1]), step: /^\d+$/.test(step) ? Number(step) : (step as ScriptStep) };
}

/**
 * Parses the started file (`date +%s.%N`: `1733220000.123456789`; a `date` without `%N` leaves `N`
 * there, so whole seconds) into an ISO time.
 */
export function parseStartedFile(text: string): string | undefined {
  const m = /^(\d+)(?:\.(\d+|N))?\s*$/.exec(text);
  if (!m) return undefined;
  const ms = m[2] && m[2] !== 'N' ? Number(m[2].slice(0, 3).padEnd(3, '0')) : 0;
  return new Date(Number(m[1]) * 1000 + ms).toISOString();
}

function renderWord(word: ShellWord): string {
  return typeof word === 'string' ? shellQuote(word) : `"${word.expand.replace(/["\\`]/g, '\\$&')}"`;
}

/** The status path with its `${SLURM_JOB_ID}` left to the node's shell, everything else quoted. */
function statusPath(file: string): string {
  const [before, after] = file.split('${SLURM_JOB_ID}') as [string, string | undefined];
  if (after === undefined) return shellQuote(file);
  return `${shellQuote(before)}"\${SLURM_JOB_ID:-manual}"${shellQuote(after)}`;
}
