import { yamlLib } from '../util/yaml-lib.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { canonicalize } from '../util/canonical-json.js';
import type { ToolVersion } from '../model/environment.js';
import { LOCK_FILE, LOCK_SCHEMA_VERSION, LOCK_SCHEMAS_READ, type LockEntry, type LockFile, type LockedOut, type LockedPath } from './lock-types.js';
import { setOwn } from '../util/null-record.js';

/**
 * Serializes the lock deterministically: stages, paths, params files and keys are sorted, fields come
 * in a fixed order, so reordering pipeline.yaml never changes the bytes and git diffs stay readable.
 */
export function serializeLock(lock: LockFile, cache?: LockEntryTextCache): string {
  const names = Object.keys(lock.stages).sort();
  if (names.length === 0) return yamlLib().stringify({ schema: LOCK_SCHEMA_VERSION, stages: {} }, YAML_OPTIONS);
  const schema = Object.values(lock.stages).every((e) => e.outs.every((o) => o.persist !== undefined)) ? LOCK_SCHEMA_VERSION : 1;
  const parts = names.map((name) => {
    const entry = lock.stages[name]!;
    const cached = cache?.get(name);
    if (cached && cached.entry === entry) return cached.text;
    const text = serializeLockEntry(name, entry);
    cache?.set(name, { entry, text });
    return text;
  });
  return `schema: ${schema}\nstages:\n${parts.join('')}`;
}

/** Serialized entries by stage, reused while the entry object is unchanged: saves stay O(changed) in YAML work. */
export type LockEntryTextCache = Map<string, { entry: LockEntry; text: string }>;

const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

/**
 * One stage's entry as it appears under `stages:`: `yaml.stringify({[name]: entry})` indented two
 * spaces (the same bytes as a whole-file stringify, except that a name starting with `---` or `...`
 * is quoted). `yaml` is pinned to an exact version in package.json, so an upgrade that would change
 * these bytes is a deliberate change, caught by test/core/lock-yaml.test.ts.
 */
function serializeLockEntry(name: string, entry: LockEntry): string {
  const text = yamlLib().stringify({ [name]: entryToYaml(entry) }, YAML_OPTIONS);
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}

/** The entry as the plain object that is written: fixed field order, defaults left out, paths and keys sorted. */
export function entryToYaml(e: LockEntry): Record<string, unknown> {
  const out: Record<string, unknown> = { cmd: e.cmd.length === 1 ? e.cmd[0] : e.cmd };
  if (e.wdir !== '.') out.wdir = e.wdir;
  if (Object.keys(e.env).length > 0) out.env = canonicalize(e.env);
  if (e.environment !== 'host') out.environment = e.environment;
  if (e.tools && Object.keys(e.tools).length > 0) {
    out.tools = Object.fromEntries(Object.keys(e.tools).sort().map((name) => [name, { version: e.tools![name]!.version, hash: e.tools![name]!.hash }]));
  }
  if (e.deps.length > 0) out.deps = sortByPath(e.deps).map(pathToYaml);
  const files = Object.keys(e.params).sort();
  if (files.length > 0) out.params = Object.fromEntries(files.map((f) => [f, canonicalize(e.params[f])]));
  if (e.outs.length > 0) out.outs = sortByPath(e.outs).map(pathToYaml);
  return out;
}

function pathToYaml(p: LockedPath | LockedOut): Record<string, unknown> {
  const out: Record<string, unknown> = { path: p.path, hash: p.hash, size: p.size };
  if (p.nfiles !== undefined) out.nfiles = p.nfiles;
  if ('cache' in p && p.cache === false) out.cache = false;
  if ('persist' in p && p.persist === true) out.persist = true;
  if ('isexec' in p && p.isexec === true) out.isexec = true;
  return out;
}

const sortByPath = <T extends { path: string }>(xs: readonly T[]): T[] =>
  [...xs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

/**
 * Parses pipeline.lock. Malformed content is a diagnostic with a position (the lock may have been
 * hand-edited or hit a merge conflict); entries with an unexpected shape are dropped, which makes
 * the stage look new and rerun rather than trusting half-understood data.
 */
export function parseLock(text: string): Result<LockFile, Diagnostic[]> {
  const parsed = lockData(text);
  if (!parsed.ok) return parsed;
  const data = parsed.value as { schema?: unknown; stages?: unknown };
  if (data.schema !== undefined && !LOCK_SCHEMAS_READ.includes(data.schema as number)) {
    return err([{ code: 'invalid-value', message: `${LOCK_FILE}: unsupported schema ${String(data.schema)} (this version reads ${LOCK_SCHEMAS_READ.join(' and ')})` }]);
  }
  const flagsRecorded = data.schema === LOCK_SCHEMA_VERSION;
  const stages: Record<string, LockEntry> = {};
  if (isRecord(data.stages)) {
    for (const [name, raw] of Object.entries(data.stages)) {
      const entry = entryFromYaml(raw, flagsRecorded);
      if (entry) setOwn(stages, name, entry); // `__proto__` too, as a plain key
    }
  }
  return ok({ stages });
}

/** The lock's top-level mapping; malformed YAML is reported with positions. */
function lockData(text: string): Result<Record<string, unknown>, Diagnostic[]> {
  const lineCounter = new (yamlLib().LineCounter)();
  const doc = yamlLib().parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return err(
      doc.errors.map((e) => {
        const [start, end] = e.linePos ?? [];
        return {
          code: 'yaml-syntax' as const,
          message: `${LOCK_FILE} is not valid YAML: ${e.message.split('\n')[0]}`,
          span: start && { file: LOCK_FILE, line: start.line, col: start.col, endLine: (end ?? start).line, endCol: (end ?? start).col },
          hint: `fix or delete ${LOCK_FILE}; deleting it makes every stage run again`,
        };
      }),
    );
  }
  if (!yamlLib().isMap(doc.contents) && doc.contents !== null) {
    return err([{ code: 'invalid-type', message: `${LOCK_FILE}: expected a mapping at the top level` }]);
  }
  return ok((doc.toJS() ?? {}) as Record<string, unknown>);
}

function entryFromYaml(raw: unknown, flagsRecorded: boolean): LockEntry | undefined {
  if (!isRecord(raw)) return undefined;
  const cmd = typeof raw.cmd === 'string' ? [raw.cmd] : Array.isArray(raw.cmd) && raw.cmd.every((c) => typeof c === 'string') ? (raw.cmd as string[]) : undefined;
  if (!cmd) return undefined;
  const deps = pathsFromYaml(raw.deps, false);
  const outs = pathsFromYaml(raw.outs, flagsRecorded);
  if (!deps || !outs) return undefined;
  const env = isRecord(raw.env) ? Object.fromEntries(Object.entries(raw.env).map(([k, v]) => [k, String(v)])) : {};
  const params: Record<string, Record<string, unknown>> = {};
  if (isRecord(raw.params)) {
    for (const [file, values] of Object.entries(raw.params)) if (isRecord(values)) setOwn(params, file, values);
  }
  const tools = toolsFromYaml(raw.tools);
  return {
    cmd,
    wdir: typeof raw.wdir === 'string' ? raw.wdir : '.',
    env,
    environment: typeof raw.environment === 'string' ? raw.environment : 'host',
    ...(tools ? { tools } : {}),
    deps,
    params,
    outs,
  };
}

/** `tools: {name: {version, hash}}`; an entry of another shape is left out, so the stage looks changed and reruns. */
function toolsFromYaml(raw: unknown): Record<string, ToolVersion> | undefined {
  if (!isRecord(raw)) return undefined;
  const tools: Record<string, ToolVersion> = {};
  for (const [name, t] of Object.entries(raw)) {
    if (isRecord(t) && typeof t.hash === 'string') setOwn(tools, name, { version: typeof t.version === 'string' ? t.version : String(t.version ?? ''), hash: t.hash });
  }
  return Object.keys(tools).length > 0 ? tools : undefined;
}

/** `flagsRecorded` (outs of a schema-2 lock): a missing `persist` means false rather than not known. */
function pathsFromYaml(raw: unknown, flagsRecorded: boolean): LockedOut[] | undefined {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return undefined;
  const result: LockedOut[] = [];
  for (const item of raw) {
    if (!isRecord(item) || typeof item.path !== 'string' || typeof item.hash !== 'string' || typeof item.size !== 'number') return undefined;
    const p: LockedOut = { path: item.path, hash: item.hash, size: item.size };
    if (typeof item.nfiles === 'number') p.nfiles = item.nfiles;
    if (item.cache === false) p.cache = false;
    if (item.isexec === true) p.isexec = true;
    if (item.persist === true) p.persist = true;
    else if (flagsRecorded) p.persist = false;
    result.push(p);
  }
  return result;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
