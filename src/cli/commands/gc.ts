import { collectGarbage } from '../../engine/gc.js';
import { EXIT, type Io } from '../io.js';
import { withExclusiveWorkspace } from '../exclusive-workspace.js';
import { loadProject } from '../project.js';

export async function gcCommand(root: string, flags: { dry: boolean; keepRuns: number; json: boolean }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  return withExclusiveWorkspace(project, io, { wait: true }, async (ws) => {
    const r = await collectGarbage(ws, { dry: flags.dry, keepRuns: flags.keepRuns });
    if (flags.json) {
      io.out(`${JSON.stringify({ dry: flags.dry, ...r }, null, 2)}\n`);
    } else {
      const verb = flags.dry ? 'Would remove' : 'Removed';
      if (flags.dry) for (const h of r.removedObjects) io.out(`${h}\n`);
      io.out(`${verb} ${r.removedObjects.length} object(s) and ${r.removedRuns.length} run-cache entr${r.removedRuns.length === 1 ? 'y' : 'ies'}; kept ${r.keptObjects} object(s).\n`);
    }
    return EXIT.ok;
  });
}
