import { closeWorkspace, openWorkspace, type Workspace } from '../engine/workspace.js';
import { acquireReproLock, type LockOwner } from '../workspace/repro-lock.js';
import { removeCrashLeftovers } from '../workspace/crash-leftovers.js';
import { workspaceLayout } from '../workspace/layout.js';
import { describeIoError } from '../util/io-error.js';
import { EXIT, type Io } from './io.js';
import { cacheLinkTypes, report, type Project } from './project.js';

/**
 * Runs `fn` as the workspace's only writer. The lock is taken BEFORE the lock file and stat cache are
 * read: a command that waited for another repro must see what that repro committed, or it would
 * write back (or garbage-collect against) a stale pipeline.lock.
 */
export async function withExclusiveWorkspace(
  project: Project,
  io: Io,
  opts: { wait: boolean },
  fn: (ws: Workspace) => Promise<number>,
): Promise<number> {
  const { root, files } = project;
  const linkTypes = cacheLinkTypes(project, io);
  if (typeof linkTypes === 'number') return linkTypes;
  return holdWorkspaceLock(project, io, opts, async () => {
    const opened = await openWorkspace(root, { linkTypes, dvcLock: 'write' });
    if (!opened.ok) return report(opened.error, files, io);
    try {
      return await fn(opened.value);
    } finally {
      await closeWorkspace(opened.value);
    }
  });
}

/**
 * Holds the workspace lock (`.orchestrator/repro.lock`) while `fn` runs, without opening the
 * workspace: a sweep writes only its variants' workspaces, but shares this one's cache, so gc,
 * repro and checkout here must wait for it. Whatever a killed run left half-written goes first,
 * while no one else can be writing it.
 */
export async function holdWorkspaceLock(project: Project, io: Io, opts: { wait: boolean }, fn: () => Promise<number>): Promise<number> {
  const layout = workspaceLayout(project.root);
  const lock = await takeLock(layout.reproLock, 'workspace', io, {
    wait: opts.wait,
    onWait: (o) => io.err(`Another orchestrator (pid ${o.pid}, since ${o.since}) is running in this workspace; waiting for it to finish...\n`),
  });
  if (typeof lock === 'number') return lock;
  if (!lock.ok) {
    io.err(
      `error: another orchestrator (pid ${lock.owner.pid}, since ${lock.owner.since}) is running in this workspace\n` +
        '  hint: wait for it, or run without --no-wait to queue behind it\n',
    );
    return EXIT.invalid;
  }
  try {
    removeCrashLeftovers(layout, project.pipeline.stages.flatMap((s) => s.outs.map((o) => o.path)));
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * `acquireReproLock`, with a failure to take it at all (permissions, a full disk, something else
 * standing where the lock folder belongs) reported in one line naming the path, exit 1.
 */
export async function takeLock(
  file: string,
  what: string,
  io: Io,
  opts: { wait: boolean; onWait?: (owner: LockOwner) => void },
): Promise<Awaited<ReturnType<typeof acquireReproLock>> | number> {
  try {
    return await acquireReproLock(file, opts);
  } catch (e) {
    io.err(`orchestrator: error: cannot take the ${what} lock ${file}: ${describeIoError(e) ?? (e as Error).message}\n`);
    return EXIT.failed;
  }
}
