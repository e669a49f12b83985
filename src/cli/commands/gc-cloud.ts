import { collectRemoteGarbage } from '../../cache/remote/gc-remote.js';
import { openRemote } from '../../cache/remote/registry.js';
import type { ConfiguredRemote } from '../../config/remote-config.js';
import type { GcReport } from '../../engine/gc.js';
import type { Workspace } from '../../engine/workspace.js';
import { formatBytes } from '../../ui/bytes.js';
import { EXIT, type Io } from '../io.js';
import { reportRemoteError } from './transfer.js';

/** `gc --cloud`: the local gc already done (or dry-run) by `report`; the remote loses what it did not keep. */
export async function cloudGc(ws: Workspace, remote: ConfiguredRemote, report: GcReport, flags: { dry: boolean; json: boolean; keepRuns: number }, io: Io): Promise<number> {
  try {
    const backend = await openRemote(remote);
    try {
      const r = await collectRemoteGarbage(ws.store, backend, report.keptOuts, report.keptRuns, { dry: flags.dry, signal: new AbortController().signal, keepRuns: flags.keepRuns, lockedHashes: new Set(report.keptOuts.map((o) => o.hash)) });
      const removedBytes = report.removed.reduce((n, o) => n + o.size, 0);
      if (flags.json) {
        io.out(`${JSON.stringify({ dry: flags.dry, local: { removedObjects: report.removed.map((o) => o.hash), removedRuns: report.removedRuns, keptObjects: report.keptObjects }, remote: { name: remote.name, removed: r.removed, kept: r.kept } }, null, 2)}\n`);
        return EXIT.ok;
      }
      const verb = flags.dry ? 'Would remove' : 'Removed';
      io.out(`${verb} ${report.removed.length} local object(s) (${formatBytes(removedBytes)}) and ${report.removedRuns.length} run-cache entries.\n`);
      if (flags.dry) for (const k of r.removed) io.out(`  ${remote.name}: ${k}\n`);
      io.out(`${verb} ${r.removed.length} object(s)/entries on ${remote.name}; kept ${r.kept}.\n`);
      return EXIT.ok;
    } finally {
      await backend.close();
    }
  } catch (e) {
    return reportRemoteError(e, io);
  }
}
