import { closeWorkspace, openWorkspace, type Workspace } from '../engine/workspace.js';
import { acquireReproLock } from '../workspace/repro-lock.js';
import { removeCrashLeftovers } from '../workspace/crash-leftovers.js';
import { workspaceLayout } from '../workspace/layout.js';
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
  const lockPath = workspaceLayout(root).reproLock;
  const lock = await acquireReproLock(lockPath, {
    wait: opts.wait,
    onWait: (o) => io.err(`Another orchestrator (pid ${o.pid}, since ${o.since}) is running in this workspace; waiting for it to finish...\n`),
  }).catch((e: Error) => e);
  if (lock instanceof Error) {
    io.err(`orchestrator: error: cannot take the workspace lock ${lockPath}: ${lock.message}\n`);
    return EXIT.failed;
  }
  if (!lock.ok) {
    io.err(
      `error: another orchestrator (pid ${lock.owner.pid}, since ${lock.owner.since}) is running in this workspace\n` +
        '  hint: wait for it, or run without --no-wait to queue behind it\n',
    );
    return EXIT.invalid;
  }
  try {
    const opened = await openWorkspace(root, { linkTypes });
    if (!opened.ok) return report(opened.error, files, io);
    // Whatever a killed run left half-written goes now, while no one else can be writing it.
    removeCrashLeftovers(opened.value.layout, project.pipeline.stages.flatMap((s) => s.outs.map((o) => o.path)));
    try {
      return await fn(opened.value);
    } finally {
      await closeWorkspace(opened.value);
    }
  } finally {
    await lock.release();
  }
}
