import { verifyCache } from '../../cache/verify.js';
import { EXIT, type Io } from '../io.js';
import { withExclusiveWorkspace } from '../exclusive-workspace.js';
import { loadProject } from '../project.js';

/** `orchestrator cache verify`: re-hash every cache object, quarantine bad ones, exit 1 if any. */
export async function cacheVerifyCommand(root: string, flags: { json: boolean }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  // Holds the workspace like gc: a repro committing meanwhile must not see its objects moved.
  return withExclusiveWorkspace(project, io, { wait: true }, async (ws) => {
    const r = await verifyCache(ws.store);
    const ok = r.bad.length === 0 && r.incomplete.length === 0;
    if (flags.json) {
      io.out(`${JSON.stringify({ ok, ...r }, null, 2)}\n`);
    } else {
      for (const b of r.bad) io.out(`corrupt: ${b.hash} (${b.problem})${b.quarantinedAt ? `, moved to ${b.quarantinedAt}` : ''}\n`);
      for (const m of r.incomplete) io.out(`incomplete: ${m.hash} lists ${m.missing.length} missing object(s): ${m.missing.join(', ')}\n`);
      io.out(`Checked ${r.checked} object(s): ${r.bad.length} corrupt (quarantined), ${r.incomplete.length} incomplete directory manifest(s).\n`);
    }
    return ok ? EXIT.ok : EXIT.failed;
  });
}
