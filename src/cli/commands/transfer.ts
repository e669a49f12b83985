import { availableParallelism } from 'node:os';
import { RemoteError, type RemoteBackend } from '../../cache/remote/backend.js';
import { openRemote } from '../../cache/remote/registry.js';
import { cloudStatus, fetch, push, runKey, type OutRef, type TransferContext, type TransferReport } from '../../cache/remote/transfer.js';
import type { RunCacheEntry } from '../../cache/run-cache.js';
import { loadProjectConfig, type ConfiguredRemote } from '../../config/remote-config.js';
import { checkout } from '../../engine/checkout.js';
import { closeWorkspace, openWorkspace, type Workspace } from '../../engine/workspace.js';
import type { LockedOut } from '../../lock/lock-types.js';
import { formatBytes } from '../../ui/bytes.js';
import { transferProgress } from '../../ui/transfer-progress.js';
import { withExclusiveWorkspace } from '../exclusive-workspace.js';
import { STOP_SIGNALS } from '../interrupt.js';
import { EXIT, type Io } from '../io.js';
import { loadProject, report, select, type Project } from '../project.js';
import { reportConfigProblem } from './remote.js';

export interface TransferFlags {
  remote?: string;
  jobs?: number;
  runCache: boolean;
  json: boolean;
}

/**
 * Transfers at once: 4 per core, as DVC. A transfer waits on the network or the file server far
 * more than on this machine's CPU (hashing a fetched object is the only CPU work), so more requests
 * in flight than cores keep a high-latency link busy with many small objects.
 */
export const defaultJobs = (): number => 4 * availableParallelism();

/** The remote `-r NAME` (or the default one), from the project config; exit 2 when there is none. */
export function chooseRemote(root: string, name: string | undefined, io: Io): ConfiguredRemote | number {
  const loaded = loadProjectConfig(root);
  if (!loaded.ok) return reportConfigProblem(loaded.error, io);
  const config = loaded.value;
  const chosen = name ?? config.defaultRemote;
  if (chosen === undefined) {
    io.err(`error: no remote given and no default remote${config.remotes.size ? ` (configured: ${[...config.remotes.keys()].join(', ')})` : ''}\n  hint: -r NAME, or orchestrator remote add --default NAME URL\n`);
    return EXIT.invalid;
  }
  const remote = config.remotes.get(chosen);
  if (!remote) {
    io.err(`error: no remote named "${chosen}"\n  hint: orchestrator remote list\n`);
    return EXIT.invalid;
  }
  return remote;
}

/** A RemoteError as the user sees it: message and hint; exit 2 for config, 1 for the rest. */
export function reportRemoteError(e: unknown, io: Io): number {
  if (!(e instanceof RemoteError)) throw e;
  io.err(`error: ${e.message}\n${e.hint ? `  hint: ${e.hint}\n` : ''}`);
  return e.kind === 'config' ? EXIT.invalid : EXIT.failed;
}

/** Ctrl-C (or SIGTERM/SIGHUP) stops starting transfers; those in flight end atomically; exit 130. */
function interruptible(): { signal: AbortSignal; dispose: () => void } {
  const c = new AbortController();
  const on = () => c.abort();
  for (const s of STOP_SIGNALS) process.on(s, on);
  return { signal: c.signal, dispose: () => STOP_SIGNALS.forEach((s) => process.off(s, on)) };
}

/** The cached outputs of the selected stages' lock entries (all stages without targets). */
export function lockedOuts(ws: Workspace, stages: readonly string[]): LockedOut[] {
  return stages.flatMap((s) => ws.lock.get(s)?.outs ?? []).filter((o) => o.cache !== false);
}

interface Opened {
  project: Project;
  stages: string[];
  remote: ConfiguredRemote;
}

function prepare(root: string, targets: readonly string[], flags: TransferFlags, io: Io): Opened | number {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const stages = targets.length === 0 ? [...project.graph.order] : select(project, targets, { single: true, downstream: false }, io);
  if (typeof stages === 'number') return stages;
  const remote = chooseRemote(root, flags.remote, io);
  if (typeof remote === 'number') return remote;
  return { project, stages, remote };
}

async function withBackend(remote: ConfiguredRemote, io: Io, fn: (backend: RemoteBackend, signal: AbortSignal) => Promise<number>): Promise<number> {
  const stop = interruptible();
  let backend: RemoteBackend | undefined;
  try {
    backend = await openRemote(remote);
    return await fn(backend, stop.signal);
  } catch (e) {
    if (stop.signal.aborted) {
      io.err('interrupted: what was transferred is complete; run the command again to go on\n');
      return EXIT.interrupted;
    }
    return reportRemoteError(e, io);
  } finally {
    stop.dispose();
    await backend?.close().catch(() => undefined);
  }
}

function context(ws: Workspace, backend: RemoteBackend, remote: ConfiguredRemote, flags: TransferFlags, signal: AbortSignal, io: Io): TransferContext {
  const jobs = flags.jobs ?? (Number(remote.options.jobs) > 0 ? Number(remote.options.jobs) : defaultJobs());
  return { store: ws.store, runCache: ws.runCache, backend, jobs, signal, ...(flags.json ? {} : { progress: transferProgress(io.err, io.isTTY) }) };
}

async function localRuns(ws: Workspace, stages: readonly string[]): Promise<RunCacheEntry[]> {
  const wanted = new Set(stages);
  const out: RunCacheEntry[] = [];
  for await (const e of ws.runCache.list()) if (wanted.has(e.stage)) out.push(e);
  return out;
}

const isClean = (r: TransferReport): boolean => r.missing.length === 0 && r.bad.length === 0;

function summarize(verb: 'push' | 'fetch', remote: ConfiguredRemote, r: TransferReport, io: Io): boolean {
  const moved = r.transferred.length;
  const toFrom = verb === 'push' ? `to ${remote.name}` : `from ${remote.name}`;
  io.out(`${verb === 'push' ? 'Pushed' : 'Fetched'} ${moved} object(s) (${formatBytes(r.bytes)}) ${toFrom}; ${r.present} already ${verb === 'push' ? 'there' : 'here'}.\n`);
  for (const k of r.missing) io.err(`missing ${verb === 'push' ? 'in the local cache' : `on ${remote.name}`}: ${k}\n`);
  if (r.missing.length) io.err(verb === 'push' ? '  hint: run orchestrator repro to build them first\n' : `  hint: push them from a workspace that has them (orchestrator push -r ${remote.name})\n`);
  for (const b of r.bad) io.err(`refused ${b.key}: ${b.problem}${verb === 'fetch' ? `; not placed in the cache (the copy on ${remote.name} is bad)` : ''}\n`);
  return isClean(r);
}

const reportJson = (remote: ConfiguredRemote, r: TransferReport) => ({
  remote: remote.name,
  url: remote.url,
  transferred: r.transferred.length,
  present: r.present,
  bytes: r.bytes,
  missing: r.missing,
  bad: r.bad,
});

/** Opens the workspace and the remote around `fn`; fetched objects appear atomically, so no exclusive lock. */
async function withWorkspaceAndRemote(root: string, o: Opened, io: Io, fn: (ws: Workspace, backend: RemoteBackend, signal: AbortSignal) => Promise<number>): Promise<number> {
  const opened = await openWorkspace(root);
  if (!opened.ok) return report(opened.error, o.project.files, io);
  const ws = opened.value;
  try {
    return await withBackend(o.remote, io, (backend, signal) => fn(ws, backend, signal));
  } finally {
    await closeWorkspace(ws);
  }
}

export async function pushCommand(root: string, targets: string[], flags: TransferFlags, io: Io): Promise<number> {
  const o = prepare(root, targets, flags, io);
  if (typeof o === 'number') return o;
  return withWorkspaceAndRemote(root, o, io, async (ws, backend, signal) => {
    const runs = flags.runCache ? await localRuns(ws, o.stages) : [];
    const r = await push(context(ws, backend, o.remote, flags, signal, io), lockedOuts(ws, o.stages), runs);
    if (flags.json) io.out(`${JSON.stringify(reportJson(o.remote, r), null, 2)}\n`);
    const clean = flags.json ? isClean(r) : summarize('push', o.remote, r, io);
    return clean ? EXIT.ok : EXIT.failed;
  });
}

/** Fetches the selected stages' outputs (and with --run-cache their run-cache entries) into the cache. */
async function fetchInto(ws: Workspace, o: Opened, flags: TransferFlags, io: Io, backend: RemoteBackend, signal: AbortSignal) {
  const ctx = context(ws, backend, o.remote, flags, signal, io);
  let runKeys: string[] = [];
  if (flags.runCache) {
    const all: string[] = [];
    for await (const k of backend.list('runs/', { signal })) all.push(k.slice(k.lastIndexOf('/') + 1, -'.json'.length));
    runKeys = all;
  }
  const wanted = new Set(o.stages);
  return fetch(ctx, lockedOuts(ws, o.stages), runKeys, (e) => wanted.has(e.stage));
}

export async function fetchCommand(root: string, targets: string[], flags: TransferFlags, io: Io): Promise<number> {
  const o = prepare(root, targets, flags, io);
  if (typeof o === 'number') return o;
  return withWorkspaceAndRemote(root, o, io, async (ws, backend, signal) => {
    const r = await fetchInto(ws, o, flags, io, backend, signal);
    if (flags.json) io.out(`${JSON.stringify({ ...reportJson(o.remote, r), runs: r.runs.length }, null, 2)}\n`);
    const clean = flags.json ? isClean(r) : summarize('fetch', o.remote, r, io);
    return clean ? EXIT.ok : EXIT.failed;
  });
}

export async function pullCommand(root: string, targets: string[], flags: TransferFlags & { force: boolean }, io: Io): Promise<number> {
  const o = prepare(root, targets, flags, io);
  if (typeof o === 'number') return o;
  return withExclusiveWorkspace(o.project, io, { wait: true }, (ws) =>
    withBackend(o.remote, io, async (backend, signal) => {
      const r = await fetchInto(ws, o, flags, io, backend, signal);
      const clean = flags.json ? isClean(r) : summarize('fetch', o.remote, r, io);
      const items = await checkout(ws, o.stages.map((s) => o.project.graph.stages.get(s)!), { force: flags.force });
      const failed = items.filter((i) => i.result === 'failed' || i.result === 'not-in-cache');
      if (flags.json) io.out(`${JSON.stringify({ ...reportJson(o.remote, r), checkout: items }, null, 2)}\n`);
      else {
        const restored = items.filter((i) => i.result === 'restored').length;
        io.out(`Restored ${restored} output(s).\n`);
        for (const i of items) if (i.result === 'modified-kept') io.err(`kept ${i.path} (${i.stage}): modified here; pull -f overwrites it\n`);
        for (const i of failed) io.err(`not restored: ${i.path} (${i.stage}): ${i.result === 'failed' ? i.message : 'not in the cache'}\n`);
      }
      return clean && failed.length === 0 ? EXIT.ok : EXIT.failed;
    }),
  );
}

/** `status --cloud`: per output, how many of its objects the local cache and the remote lack. */
export async function cloudStatusCommand(root: string, targets: string[], flags: TransferFlags, io: Io): Promise<number> {
  const o = prepare(root, targets, flags, io);
  if (typeof o === 'number') return o;
  const opened = await openWorkspace(root);
  if (!opened.ok) return report(opened.error, o.project.files, io);
  const ws = opened.value;
  try {
    return await withBackend(o.remote, io, async (backend, signal) => {
      const ctx = context(ws, backend, o.remote, { ...flags, json: true }, signal, io);
      const outs = o.stages.flatMap((stage) => lockedOuts(ws, [stage]).map((out) => ({ stage, out })));
      const st = await cloudStatus(ctx, outs.map((x) => x.out as OutRef));
      const rows = outs.map(({ stage, out }) => {
        const keys = st.perOut.get(out.hash) ?? [];
        return {
          stage,
          path: out.path,
          hash: out.hash,
          objects: keys.length,
          missingLocally: keys.filter((k) => !st.local.has(k)).length,
          missingOnRemote: keys.filter((k) => !st.remote.has(k)).length,
        };
      });
      let runs: { key: string; stage: string; onRemote: boolean }[] = [];
      if (flags.runCache) {
        const local = await localRuns(ws, o.stages);
        const there = await backend.existing(local.map((e) => runKey(e.key)), { signal });
        runs = local.map((e) => ({ key: e.key, stage: e.stage, onRemote: there.has(runKey(e.key)) }));
      }
      const inSync = rows.every((r) => r.missingLocally === 0 && r.missingOnRemote === 0) && runs.every((r) => r.onRemote);
      if (flags.json) {
        io.out(`${JSON.stringify({ remote: o.remote.name, url: o.remote.url, inSync, outs: rows, ...(flags.runCache ? { runs } : {}) }, null, 2)}\n`);
        return EXIT.ok;
      }
      if (inSync) io.out(`Cache and remote ${o.remote.name} are in sync.\n`);
      for (const r of rows) {
        const parts = [r.missingOnRemote ? `${r.missingOnRemote} of ${r.objects} object(s) not on ${o.remote.name}` : '', r.missingLocally ? `${r.missingLocally} of ${r.objects} not in the local cache` : ''].filter(Boolean);
        if (parts.length) io.out(`${r.stage}: ${r.path}: ${parts.join('; ')}\n`);
      }
      for (const r of runs) if (!r.onRemote) io.out(`${r.stage}: run-cache entry ${r.key.slice(0, 12)} not on ${o.remote.name}\n`);
      return EXIT.ok;
    });
  } finally {
    await ws.hasher.close();
  }
}

