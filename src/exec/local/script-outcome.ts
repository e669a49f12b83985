import { constants } from 'node:os';
import type { FailureSite } from '../../model/failure.js';
import type { Stage } from '../../model/stage.js';
import type { ExecOutcome } from '../executor.js';
import type { ScriptStatus } from './run-files.js';

/** How the stage script ended: its status file, or, without one, how its process exited. */
export type ScriptEnd = { status: ScriptStatus } | { status?: undefined; exitCode?: number; signal?: string };

/** The outcome of a local stage from how its script ended. Pure. */
export function scriptOutcome(end: ScriptEnd, stage: Stage, wdir: string): ExecOutcome {
  if (!end.status) {
    const how = end.signal ? `was killed by ${end.signal}` : end.exitCode !== undefined ? `exited with code ${end.exitCode}` : 'ended';
    return { status: 'failed', failure: { kind: 'executor-error', message: `the stage's script ${how} before recording an exit status` } };
  }
  const { code, step } = end.status;
  if (code === 0) return { status: 'succeeded' };
  if (step === 'cd') return { status: 'failed', failure: { kind: 'executor-error', message: `could not enter the stage's directory ${wdir}` } };
  const at: FailureSite | undefined = typeof step === 'number' && stage.cmd.length > 1 ? { command: { index: step, count: stage.cmd.length } } : undefined;
  return failure(at, code);
}

/** Shell statuses above 128 are how a shell reports a command killed by signal (status - 128). */
function failure(at: FailureSite | undefined, status: number): ExecOutcome {
  const signalName = status > 128 && status < 128 + 65 ? signalNames.get(status - 128) : undefined;
  const site = at ? { at } : {};
  if (signalName) return { status: 'failed', failure: { kind: 'signal', signal: signalName, status, ...site } };
  return { status: 'failed', failure: { kind: 'exit-code', code: status, ...site } };
}

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n as number, name]));
