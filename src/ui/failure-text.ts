import type { EnvironmentProblem } from '../model/environment.js';
import type { FailureSite, StageFailure } from '../model/failure.js';
import type { NotStarted } from '../schedule/scheduler.js';

/** One line saying why a stage did not succeed, e.g. `job 41 FAILED on node07: command 2 of 3 exited with code 3`. */
export function describeFailure(f: StageFailure): string {
  switch (f.kind) {
    case 'exit-code':
      return withRetries(f.at, `${jobPrefix(f.at)}${exitText(f.code, f.at)}`);
    case 'signal':
      return withRetries(f.at, `${jobPrefix(f.at)}${commandPrefix(f.at)}was killed by ${f.signal}${f.status !== undefined ? ` (exit status ${f.status})` : ''}`);
    case 'out-of-memory':
      if (f.at?.job) {
        const limit = f.memGb === undefined ? "the partition's default memory (set resources.mem_gb)" : `--mem=${Math.max(1, Math.ceil(f.memGb * 1024))}M from resources.mem_gb`;
        return withRetries(f.at, `${jobWords(f.at)}: killed for using more memory than ${limit}`);
      }
      return `${commandPrefix(f.at)}killed: out of memory (${f.memGb === undefined ? 'no mem_gb limit set: the host ran out of memory' : `limit ${f.memGb} GiB`})`;
    case 'time-limit':
      return withRetries(f.at, `${f.at?.job ? `${jobWords(f.at)}: ` : ''}killed by Slurm at its time limit (${f.limit || 'slurm.time'}); raise slurm.time`);
    case 'missing-output':
      if (f.escaping) return `declared output ${quoted(f.paths)} resolves outside the workspace through a symlink; its bytes are not taken into the cache`;
      return `the command did not create declared output${f.paths.length > 1 ? 's' : ''} ${quoted(f.paths)}`;
    case 'missing-dependency':
      return `missing dependenc${f.paths.length > 1 ? 'ies' : 'y'} ${quoted(f.paths)}`;
    case 'cancelled':
      return 'cancelled';
    case 'upstream-failed':
      return `upstream stage "${f.upstream}" failed`;
    case 'upstream-cancelled':
      return `upstream stage "${f.upstream}" was cancelled`;
    case 'executor-error':
      return withRetries(f.at, executorError(f));
    case 'environment-unavailable':
      return describeEnvironmentProblem(f.problem);
    case 'workspace-error':
      return f.message;
    case 'failed-before':
      return 'failed before with these same inputs; not retried until one of them changes';
    default:
      return assertNever(f);
  }
}

/** Why a stage's environment could not be described, e.g. `image finn:1 not found`. */
export function describeEnvironmentProblem(p: EnvironmentProblem): string {
  switch (p.kind) {
    case 'no-image':
      return 'no container.image set';
    case 'image-missing':
      return `image ${p.image} not found`;
    case 'engine-unreachable':
      return `Docker engine not reachable (${p.message})`;
    case 'engine-error':
      return p.image ? `image ${p.image} unknown: ${p.message}` : `Docker engine error: ${p.message}`;
    case 'tool-failed': {
      const how = p.signal ? `was killed by ${p.signal}` : p.exitCode !== undefined ? `exited with code ${p.exitCode}` : 'could not run';
      const output = p.output.trim();
      return `tool "${p.tool}": \`${p.command}\` ${how}${output ? `: ${output.split('\n').slice(0, 3).join(' | ')}` : ''}`;
    }
    default:
      return assertNever(p);
  }
}

/** Why a stage never started, as the progress line's parenthesis. */
export function describeNotStarted(why: NotStarted): string {
  switch (why.reason) {
    case 'upstream-failed':
      return `upstream stage "${why.upstream}" failed`;
    case 'upstream-cancelled':
      return `upstream stage "${why.upstream}" was cancelled`;
    case 'stopped':
      return 'stopped after a failure or interruption';
    default:
      return assertNever(why);
  }
}

function exitText(code: number, at: FailureSite | undefined): string {
  if (at?.step === 'cd') {
    return at.job ? `could not cd to the stage's directory${on(at)}: is the workspace visible there at the same path?` : "could not enter the stage's directory";
  }
  if (at?.step === 'setup') return `slurm.setup ${code === 127 ? 'failed: command not found (127)' : `exited with code ${code}`}`;
  if (at?.job && !at.command) return `the command exited with code ${code}`;
  return `${commandPrefix(at)}exited with code ${code}`;
}

function executorError(f: Extract<StageFailure, { kind: 'executor-error' }>): string {
  const at = f.at;
  if (!f.jobState || !at?.job) return f.message ?? 'the executor failed';
  const job = `job ${at.job.id}`;
  const node = at.job.node ? ` ${at.job.node}` : '';
  switch (f.jobState) {
    case 'FAILED':
      return `${job} FAILED${on(at)}${f.message ? ` ${f.message}` : ''}`;
    case 'CANCELLED':
      return `${job} CANCELLED${on(at)} by Slurm or an administrator (scancel), not by orchestrator`;
    case 'NODE_FAIL':
      return `${job} NODE_FAIL: its node${node} failed`;
    case 'PREEMPTED':
      return `${job} PREEMPTED${on(at)} by a higher-priority job`;
    case 'BOOT_FAIL':
      return `${job} BOOT_FAIL: its node${node} failed to boot`;
    case 'DEADLINE':
      return `${job} DEADLINE: it could not finish before its deadline`;
    default:
      return `${job} ended in state ${f.jobState}${on(at)}${f.reason ? ` (${f.reason})` : ''}${f.message ? `: ${f.message}` : ''}`;
  }
}

/** `job 41 FAILED on node07: `, or `job 41 (no longer known to Slurm): `; empty outside Slurm. */
function jobPrefix(at: FailureSite | undefined): string {
  return at?.job ? `${jobWords(at)}: ` : '';
}

function jobWords(at: FailureSite): string {
  const job = at.job!;
  return `job ${job.id} ${job.state ?? '(no longer known to Slurm)'}${on(at)}`;
}

const on = (at: FailureSite | undefined): string => (at?.job?.node ? ` on ${at.job.node}` : '');

function commandPrefix(at: FailureSite | undefined): string {
  return at?.command && at.command.count > 1 ? `command ${at.command.index} of ${at.command.count} ` : '';
}

function withRetries(at: FailureSite | undefined, text: string): string {
  const n = at?.retries;
  return n ? `${text} (after ${n} ${n === 1 ? 'retry' : 'retries'})` : text;
}

const quoted = (paths: readonly string[]): string => paths.map((p) => `"${p}"`).join(', ');

function assertNever(x: never): never {
  throw new Error(`unhandled failure ${JSON.stringify(x)}`);
}
