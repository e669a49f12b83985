import { collectRemoteGarbage } from '../../cache/remote/gc-remote.js';
import { openRemote } from '../../cache/remote/registry.js';
import type { ConfiguredRemote } from '../../config/remote-config.js';
import type { GcReport } from '../../engine/gc.js';
import type { Workspace } from '../../engine/workspace.js';
import { formatBytes } from '../../ui/bytes.js';
import { EXIT, type Io } from '../io.js';
import { reportRemoteError } from './transfer.js';

/** `gc --cloud --tmp-age`'s default: a temp younger than an hour may belong to a push still in flight. */
const DEFAULT_TMP_AGE_S = 3600;

/** `gc --cloud`: the local gc already done (or dry-run) by `report`; the remote loses what it did not keep. */
export async function cloudGc(ws: Workspace, remote: ConfiguredRemote, report: GcReport, flags: { dry: boolean; json: boolean; keepRuns: number; tmpAge?: number }, io: Io): Promise<number> {
  try {
    const backend = await openRemote(remote);
    try {
      const r = await collectRemoteGarbage(ws.store, backend, report.keptOuts, report.keptRuns, { dry: flags.dry, signal: new AbortController().signal, keepRuns: flags.keepRuns, lockedHashes: new Set(report.keptOuts.map((o) => o.hash)) });
      // Leftovers of killed pushes, older than --tmp-age (default an hour): a younger temp may belong to a push in flight.
      const temps = (await backend.sweepTemps?.(Date.now() - (flags.tmpAge ?? DEFAULT_TMP_AGE_S) * 1000, { dry: flags.dry })) ?? { removed: [] };
      const removedBytes = report.removed.reduce((n, o) => n + o.size, 0);
      if (flags.json) {
        io.out(`${JSON.stringify({ dry: flags.dry, local: { removedObjects: report.removed.map((o) => o.hash), removedRuns: report.removedRuns, keptObjects: report.keptObjects }, remote: { name: remote.name, removed: r.removed, kept: r.kept, temps: temps.removed, ...(temps.unchecked ? { tempsUnchecked: temps.unchecked } : {}) } }, null, 2)}\n`);
        return EXIT.ok;
      }
      const verb = flags.dry ? 'Would remove' : 'Removed';
      io.out(`${verb} ${report.removed.length} local object(s) (${formatBytes(removedBytes)}) and ${report.removedRuns.length} run-cache entries.\n`);
      if (flags.dry) for (const k of r.removed) io.out(`  ${remote.name}: ${k}\n`);
      io.out(`${verb} ${r.removed.length} object(s)/entries on ${remote.name}; kept ${r.kept}.\n`);
      io.out(`${verb} ${temps.removed.length} leftover(s) of interrupted uploads on ${remote.name} (older than ${flags.tmpAge ?? DEFAULT_TMP_AGE_S} s).\n`);
      for (const t of temps.removed) io.out(`  ${remote.name}: ${t}\n`);
      if (temps.unchecked) io.err(`note: ${temps.unchecked}\n`);
      return EXIT.ok;
    } finally {
      await backend.close();
    }
  } catch (e) {
    return reportRemoteError(e, io);
  }
}
