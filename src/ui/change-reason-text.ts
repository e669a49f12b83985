import type { ChangeReason } from '../plan/change-reason.js';
import { describeEnvironmentProblem } from './failure-text.js';

/** One line per reason, in words a researcher reads at a glance. */
export function describeReason(r: ChangeReason): string {
  switch (r.kind) {
    case 'no-lock-entry':
      return 'never run (no entry in pipeline.lock)';
    case 'forced':
      return 'forced (-f)';
    case 'always-changed':
      return 'always_changed is set';
    case 'callback':
      return 'has neither deps nor outs, so it runs every time (as DVC runs a callback stage)';
    case 'interrupted':
      return 'an earlier run was interrupted while this stage ran';
    case 'cmd-changed':
      return `cmd changed: ${show(r.old)} -> ${show(r.new)}`;
    case 'wdir-changed':
      return `wdir changed: ${r.old} -> ${r.new}`;
    case 'env-changed':
      return `env ${r.key} changed: ${r.old ?? '(unset)'} -> ${r.new ?? '(unset)'}`;
    case 'environment-changed':
      return `environment changed: ${r.old} -> ${r.new}`;
    case 'environment-unavailable':
      return r.problem.kind === 'tool-failed'
        ? describeEnvironmentProblem(r.problem)
        : `environment changed: ${r.old ?? '(none recorded)'} -> ${describeEnvironmentProblem(r.problem)}`;
    case 'tool-added':
      return `tool added: ${r.tool} ${r.version}`;
    case 'tool-removed':
      return `tool removed: ${r.tool} (was ${r.old})`;
    case 'tool-changed':
      return r.old === r.new ? `tool changed: ${r.tool} ${r.new} (its version output differs after the first line)` : `tool changed: ${r.tool} ${r.old} -> ${r.new}`;
    case 'dep-added':
      return `dep added: ${r.path}`;
    case 'dep-removed':
      return `dep removed: ${r.path}`;
    case 'dep-modified':
      return `dep modified: ${r.path}`;
    case 'dep-deleted':
      return `dep deleted: ${r.path}`;
    case 'param-added':
      return `param added: ${r.file}:${r.key} = ${value(r.value)}`;
    case 'param-changed':
      return `param changed: ${r.file}:${r.key} ${value(r.old)} -> ${value(r.new)}`;
    case 'param-removed':
      return `param removed: ${r.file}:${r.key} (was ${value(r.old)})`;
    case 'out-added':
      return `out added: ${r.path}`;
    case 'out-removed':
      return `out removed: ${r.path}`;
    case 'out-flags-changed':
      return `out flags changed: ${r.path} (${r.changes.map((c) => `${c.flag}: ${c.old} -> ${c.new}`).join(', ')})`;
    case 'out-missing':
      return `out missing: ${r.path}`;
    case 'out-modified':
      return `out modified: ${r.path}`;
    case 'upstream-changed':
      return `upstream stage "${r.stage}" will change`;
    case 'cache-restore-failed':
      return `could not restore from the cache (${r.detail}); running instead`;
    default:
      return assertNever(r);
  }
}

function show(cmd: string[]): string {
  return cmd.length === 1 ? JSON.stringify(cmd[0]) : JSON.stringify(cmd);
}

function value(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? 'null';
}

function assertNever(x: never): never {
  throw new Error(`unhandled change reason ${JSON.stringify(x)}`);
}
