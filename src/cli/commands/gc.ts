import { collectGarbage } from '../../engine/gc.js';
import { closeWorkspace, openWorkspace } from '../../engine/workspace.js';
import { acquireReproLock } from '../../workspace/repro-lock.js';
import { EXIT, type Io } from '../io.js';
import { loadProject, report } from '../project.js';

export async function gcCommand(root: string, flags: { dry: boolean; keepRuns: number; json: boolean }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const opened = await openWorkspace(root);
  if (!opened.ok) return report(opened.error, project.files, io);
  const ws = opened.value;
  const lock = await acquireReproLock(ws.layout.reproLock, {
    wait: true,
    onWait: (o) => io.err(`Another orchestrator (pid ${o.pid}) is running in this workspace; waiting for it to finish...\n`),
  });
  if (!lock.ok) return EXIT.invalid;
  try {
    const r = await collectGarbage(ws, { dry: flags.dry, keepRuns: flags.keepRuns });
    if (flags.json) {
      io.out(`${JSON.stringify({ dry: flags.dry, ...r }, null, 2)}\n`);
    } else {
      const verb = flags.dry ? 'Would remove' : 'Removed';
      if (flags.dry) for (const h of r.removedObjects) io.out(`${h}\n`);
      io.out(`${verb} ${r.removedObjects.length} object(s) and ${r.removedRuns.length} run-cache entr${r.removedRuns.length === 1 ? 'y' : 'ies'}; kept ${r.keptObjects} object(s).\n`);
    }
    return EXIT.ok;
  } finally {
    await closeWorkspace(ws);
    await lock.release();
  }
}
