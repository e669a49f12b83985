import type { Stage } from '../model/stage.js';
import type { LockEntry } from '../lock/lock-types.js';
import { canonicalJson } from '../util/canonical-json.js';
import type { ChangeReason, OutFlagChange, StagePlan } from './change-reason.js';
import type { EnvironmentObservation, ObservedEnvironment, ToolVersion } from '../model/environment.js';
import { paramsByFile } from './fingerprint.js';
import { getOwn, setOwn } from '../util/null-record.js';
import { isCallbackStage, runCacheEligible } from './run-cache-eligibility.js';

/** A hash as observed on disk (or predicted); `undefined` in a map means the path does not exist. */
export interface ObservedHash {
  hash: string;
  size: number;
  nfiles?: number;
}

/** Everything the planner needs to know about one stage; gathered by I/O code elsewhere. */
export interface StageObservation {
  stage: Stage;
  lock: LockEntry | undefined;
  deps: ReadonlyMap<string, ObservedHash | undefined>;
  outs: ReadonlyMap<string, ObservedHash | undefined>;
  /** The environment the command would see (executor's description, tool versions), or why it cannot be described. */
  environment: EnvironmentObservation;
  /** A running marker from a process that died: the stage was cut off mid-run. */
  interrupted: boolean;
  /** Every cached output recorded in the lock has all its objects in the cache. */
  lockOutsInCache: boolean;
  /** A complete run-cache entry for the stage's current fingerprint, if any. */
  runCacheKey?: string;
  /** Upstream stages predicted to change this stage's deps (static planning only). */
  upstreamChanged: readonly string[];
}

export interface PlanOptions {
  force: boolean;
  useRunCache: boolean;
}

/** Decides run / restore / skip for one stage. Pure. */
export function planStage(obs: StageObservation, opts: PlanOptions): StagePlan {
  const { stage } = obs;
  const name = stage.name;
  if (stage.frozen) return { stage: name, action: 'skip', reasons: [], frozen: true };

  const inputReasons: ChangeReason[] = obs.lock ? inputChanges(obs, obs.lock) : [{ kind: 'no-lock-entry' }];
  if (!obs.lock && !obs.environment.ok) inputReasons.push({ kind: 'environment-unavailable', problem: obs.environment.problem });
  const upstream: ChangeReason[] = obs.upstreamChanged.map((s) => ({ kind: 'upstream-changed', stage: s }));
  const outReasons = obs.lock ? outputChanges(obs, obs.lock) : [];

  const forcing: ChangeReason[] = [];
  if (opts.force) forcing.push({ kind: 'forced' });
  if (stage.alwaysChanged) forcing.push({ kind: 'always-changed' });
  if (isCallbackStage(stage)) forcing.push({ kind: 'callback' });
  if (obs.interrupted) forcing.push({ kind: 'interrupted' });
  const reasons = [...forcing, ...inputReasons, ...upstream, ...outReasons];

  if (forcing.length > 0 || upstream.length > 0) return { stage: name, action: 'run', reasons };
  if (inputReasons.length === 0) {
    if (outReasons.length === 0) return { stage: name, action: 'skip', reasons: [] };
    const restorable = obs.lockOutsInCache && obs.lock!.outs.every((o) => o.cache !== false);
    return restorable ? { stage: name, action: 'restore', reasons, restoreFrom: 'lock' } : { stage: name, action: 'run', reasons };
  }
  // Without a described environment there is no fingerprint, so no run-cache entry can be for it.
  if (opts.useRunCache && obs.runCacheKey && obs.environment.ok && runCacheEligible(stage)) {
    return { stage: name, action: 'restore', reasons, restoreFrom: 'run-cache', runCacheKey: obs.runCacheKey };
  }
  return { stage: name, action: 'run', reasons };
}

/** Differences in what goes into the stage: command, environment, deps, params, declared outs. */
export function inputChanges(obs: StageObservation, lock: LockEntry): ChangeReason[] {
  const { stage } = obs;
  const reasons: ChangeReason[] = [];
  if (!sameList(stage.cmd, lock.cmd)) reasons.push({ kind: 'cmd-changed', old: lock.cmd, new: stage.cmd });
  if (stage.wdir !== lock.wdir) reasons.push({ kind: 'wdir-changed', old: lock.wdir, new: stage.wdir });
  if (obs.environment.ok) reasons.push(...environmentChanges(obs.environment.value, lock));
  else reasons.push({ kind: 'environment-unavailable', old: lock.environment, problem: obs.environment.problem });

  const locked = new Map(lock.deps.map((d) => [d.path, d]));
  for (const dep of stage.deps) {
    const before = locked.get(dep.path);
    const now = obs.deps.get(dep.path);
    if (!before) reasons.push({ kind: 'dep-added', path: dep.path });
    else if (!now) reasons.push({ kind: 'dep-deleted', path: dep.path });
    else if (now.hash !== before.hash) reasons.push({ kind: 'dep-modified', path: dep.path });
  }
  const declared = new Set(stage.deps.map((d) => d.path));
  for (const d of lock.deps) if (!declared.has(d.path)) reasons.push({ kind: 'dep-removed', path: d.path });

  reasons.push(...paramChanges(paramsByFile(stage), lock.params));

  const lockedOuts = new Map(lock.outs.map((o) => [o.path, o]));
  for (const out of stage.outs) {
    const before = lockedOuts.get(out.path);
    if (!before) {
      reasons.push({ kind: 'out-added', path: out.path });
      continue;
    }
    // As in the fingerprint: the flags are part of what the stage declares. A persist flag a
    // schema-1 lock never recorded is not known, so it is not compared.
    const changes: OutFlagChange[] = [];
    if ((before.cache !== false) !== out.cache) changes.push({ flag: 'cache', old: before.cache !== false, new: out.cache });
    if (before.persist !== undefined && before.persist !== out.persist) changes.push({ flag: 'persist', old: before.persist, new: out.persist });
    if (changes.length > 0) reasons.push({ kind: 'out-flags-changed', path: out.path, changes });
  }
  const declaredOuts = new Set(stage.outs.map((o) => o.path));
  for (const o of lock.outs) if (!declaredOuts.has(o.path)) reasons.push({ kind: 'out-removed', path: o.path });
  return reasons;
}

/** Declared env, environment id and tool versions against the lock. */
function environmentChanges(now: ObservedEnvironment, lock: LockEntry): ChangeReason[] {
  const reasons: ChangeReason[] = [];
  for (const key of unionKeys(now.env, lock.env)) {
    if (now.env[key] !== lock.env[key]) reasons.push({ kind: 'env-changed', key, old: lock.env[key], new: now.env[key] });
  }
  if (now.id !== lock.environment) reasons.push({ kind: 'environment-changed', old: lock.environment, new: now.id });
  const locked = lock.tools ?? {};
  for (const tool of unionKeys(now.tools, locked)) {
    const before = getOwn(locked, tool) as ToolVersion | undefined;
    const after = getOwn(now.tools, tool) as ToolVersion | undefined;
    if (!before) reasons.push({ kind: 'tool-added', tool, version: after!.version });
    else if (!after) reasons.push({ kind: 'tool-removed', tool, old: before.version });
    else if (after.hash !== before.hash) reasons.push({ kind: 'tool-changed', tool, old: before.version, new: after.version });
  }
  return reasons;
}

/** Outputs in the workspace that no longer match the lock. */
function outputChanges(obs: StageObservation, lock: LockEntry): ChangeReason[] {
  const reasons: ChangeReason[] = [];
  for (const out of lock.outs) {
    if (!obs.outs.has(out.path)) continue; // no longer declared: reported as out-removed
    const now = obs.outs.get(out.path);
    if (!now) reasons.push({ kind: 'out-missing', path: out.path });
    else if (now.hash !== out.hash) reasons.push({ kind: 'out-modified', path: out.path });
  }
  return reasons;
}

/**
 * Compares params leaf by leaf, so a changed `model.heads` inside a tracked `model` dict is reported
 * with its full key and both values rather than as "model changed".
 */
export function paramChanges(
  now: Record<string, Record<string, unknown>>,
  before: Record<string, Record<string, unknown>>,
): ChangeReason[] {
  const reasons: ChangeReason[] = [];
  for (const file of unionKeys(now, before)) {
    const a = flatten((getOwn(before, file) ?? {}) as Record<string, unknown>);
    const b = flatten((getOwn(now, file) ?? {}) as Record<string, unknown>);
    for (const key of unionKeys(a, b)) {
      const inOld = Object.hasOwn(a, key);
      const inNew = Object.hasOwn(b, key);
      if (inOld && inNew) {
        if (canonicalJson(a[key]) !== canonicalJson(b[key])) reasons.push({ kind: 'param-changed', file, key, old: a[key], new: b[key] });
      } else if (inNew) reasons.push({ kind: 'param-added', file, key, value: b[key] });
      else reasons.push({ kind: 'param-removed', file, key, old: a[key] });
    }
  }
  return reasons;
}

/** `{a: {b: 1}, c: [1]}` -> `{'a.b': 1, c: [1]}`; lists stay whole values. An empty dict stays a value. */
function flatten(obj: Record<string, unknown>, prefix = '', into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
      flatten(v as Record<string, unknown>, key, into);
    } else setOwn(into, key, v);
  }
  return into;
}

const unionKeys = (a: object, b: object): string[] => [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
