import type { EnvironmentProblem } from '../model/environment.js';

/** Why a stage is not up to date. A closed union: renderers switch over it exhaustively. */
export type ChangeReason =
  | { kind: 'no-lock-entry' }
  | { kind: 'forced' }
  | { kind: 'always-changed' }
  /** Neither deps nor outs (DVC's callback stage): runs every time. */
  | { kind: 'callback' }
  | { kind: 'interrupted' }
  | { kind: 'cmd-changed'; old: string[]; new: string[] }
  | { kind: 'wdir-changed'; old: string; new: string }
  | { kind: 'env-changed'; key: string; old?: string; new?: string }
  | { kind: 'environment-changed'; old: string; new: string }
  /** The executor could not describe the environment (image gone, a tool probe failed): the stage cannot be fingerprinted. */
  | { kind: 'environment-unavailable'; old?: string; problem: EnvironmentProblem }
  /** `tools:` versions, as the first line of each probe's output. */
  | { kind: 'tool-added'; tool: string; version: string }
  | { kind: 'tool-removed'; tool: string; old: string }
  | { kind: 'tool-changed'; tool: string; old: string; new: string }
  | { kind: 'dep-added'; path: string }
  | { kind: 'dep-removed'; path: string }
  | { kind: 'dep-modified'; path: string }
  | { kind: 'dep-deleted'; path: string }
  | { kind: 'param-added'; file: string; key: string; value: unknown }
  | { kind: 'param-changed'; file: string; key: string; old: unknown; new: unknown }
  | { kind: 'param-removed'; file: string; key: string; old: unknown }
  | { kind: 'out-added'; path: string }
  | { kind: 'out-removed'; path: string }
  /** `cache` or `persist` of a declared output differs from what the lock recorded. */
  | { kind: 'out-flags-changed'; path: string; changes: OutFlagChange[] }
  | { kind: 'out-missing'; path: string }
  | { kind: 'out-modified'; path: string }
  | { kind: 'upstream-changed'; stage: string }
  /** Restoring from the cache was tried and refused: a cache object was corrupt or missing. */
  | { kind: 'cache-restore-failed'; detail: string };

export interface OutFlagChange {
  flag: 'cache' | 'persist';
  old: boolean;
  new: boolean;
}

export type StageAction = 'run' | 'restore' | 'skip';

export interface StagePlan {
  stage: string;
  action: StageAction;
  /** Empty for an up-to-date stage. */
  reasons: ChangeReason[];
  /** For `restore`: the lock's own outputs, or an older run found in the run-cache. */
  restoreFrom?: 'lock' | 'run-cache';
  /** For `restore` from the run-cache: the entry's key. */
  runCacheKey?: string;
  /** For `skip`: the stage is frozen (never runs, whatever changed). */
  frozen?: boolean;
}
