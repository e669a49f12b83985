import { collectGarbage, type GcOptions, type GcReport, type KeptGroup } from '../../engine/gc.js';
import { listVariantWorkspaces } from '../../sweep/state.js';
import { formatBytes } from '../../ui/bytes.js';
import { EXIT, type Io } from '../io.js';
import { withExclusiveWorkspace } from '../exclusive-workspace.js';
import { loadProject } from '../project.js';
import { cacheLocation } from '../../engine/workspace.js';
import { workspaceLayout } from '../../workspace/layout.js';

export async function gcCommand(root: string, flags: { dry: boolean; keepRuns: number; tmpAge?: number; json: boolean; cloud?: boolean; remote?: string; forceShared?: boolean }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const cache = cacheLocation(root);
  if (cache.ok && cache.value.dir !== workspaceLayout(root).cache && !flags.dry && !flags.forceShared) {
    // This workspace's locks are not everyone's: the objects other workspaces and users need would go.
    io.err(`error: the cache ${cache.value.dir} is a cache.dir other workspaces may share; gc here only knows this workspace's pipeline.lock and sweeps\n`);
    io.err('  hint: gc --dry shows what would go; gc --force-shared removes it anyway\n');
    return EXIT.failed;
  }
  if (flags.cloud) {
    const { chooseRemote } = await import('./transfer.js');
    const remote = chooseRemote(root, flags.remote, io);
    if (typeof remote === 'number') return remote;
    return withExclusiveWorkspace(project, io, { wait: true }, async (ws) => {
      const local = await collectGarbage(ws, { dry: flags.dry, keepRuns: flags.keepRuns, variants: await listVariantWorkspaces(root) });
      if (!local.ok) {
        io.err(`orchestrator: error: cannot read ${local.error.file}: ${local.error.message}; gc removed nothing\n`);
        return EXIT.failed;
      }
      const { cloudGc } = await import('./gc-cloud.js');
      return cloudGc(ws, remote, local.value, flags, io);
    });
  }
  // Under the workspace lock, which a running sweep holds too: no variant is half-written meanwhile.
  return withExclusiveWorkspace(project, io, { wait: true }, async (ws) => {
    const opts: GcOptions = { dry: flags.dry, keepRuns: flags.keepRuns, variants: await listVariantWorkspaces(root) };
    const result = await collectGarbage(ws, opts);
    if (!result.ok) {
      io.err(`orchestrator: error: cannot read ${result.error.file}: ${result.error.message}; gc removed nothing, since it cannot tell what that sweep variant needs\n`);
      io.err('  hint: fix or delete that pipeline.lock, or remove its sweep (orchestrator sweep rm NAME)\n');
      return EXIT.failed;
    }
    const r = result.value;
    const removedBytes = r.removed.reduce((n, o) => n + o.size, 0);
    if (flags.json) {
      const doc = {
        dry: flags.dry,
        removedObjects: r.removed.map((o) => o.hash),
        removedBytes,
        removedRuns: r.removedRuns,
        keptObjects: r.keptObjects,
        keptBytes: r.keptBytes,
        removed: r.removed,
        kept: r.kept,
      };
      io.out(`${JSON.stringify(doc, null, 2)}\n`);
      return EXIT.ok;
    }
    if (flags.dry) io.out(renderDry(r));
    const verb = flags.dry ? 'Would remove' : 'Removed';
    const runs = `${r.removedRuns.length} run-cache entr${r.removedRuns.length === 1 ? 'y' : 'ies'}`;
    io.out(`${verb} ${r.removed.length} object(s) (${formatBytes(removedBytes)}) and ${runs}; kept ${r.keptObjects} object(s) (${formatBytes(r.keptBytes)}).\n`);
    if (!flags.dry) for (const g of r.kept) if (g.keeper.kind === 'sweep') io.out(`Kept for ${keeperName(g)}: ${g.objects} object(s), ${formatBytes(g.bytes)}.\n`);
    return EXIT.ok;
  });
}

/** What each keeper holds (per output path, over all its versions), then what would go, by path and size. */
function renderDry(r: GcReport): string {
  const lines: string[] = [];
  for (const g of r.kept) {
    if (g.paths.length === 0) continue;
    lines.push(`Kept for ${keeperName(g)}: ${g.objects} object(s), ${formatBytes(g.bytes)}`);
    const shown = (p: KeptGroup['paths'][number]) => (p.directory ? `${p.path}/` : p.path);
    const width = Math.max(...g.paths.map((p) => shown(p).length));
    for (const p of g.paths) {
      const versions = p.versions === 1 ? '' : `${p.versions} versions, `;
      lines.push(`  ${shown(p).padEnd(width)}  ${versions}${formatBytes(p.bytes)}${p.objects === 0 ? ' (not in the cache)' : ''}`);
    }
  }
  if (r.removed.length > 0) {
    lines.push('Would remove:');
    const label = (paths: string[]) => (paths.length === 0 ? '(named by no kept or dropped entry)' : `${paths[0]}${paths.length > 1 ? ` (+${paths.length - 1} more)` : ''}`);
    const rows = r.removed.map((o) => [label(o.paths), formatBytes(o.size), o.hash.slice(0, 12)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const width = Math.max(...rows.map(([l]) => l.length));
    const sizeWidth = Math.max(...rows.map(([, s]) => s.length));
    for (const [l, s, h] of rows) lines.push(`  ${l.padEnd(width)}  ${s.padStart(sizeWidth)}  ${h}`);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

function keeperName(g: KeptGroup): string {
  switch (g.keeper.kind) {
    case 'lock':
      return 'pipeline.lock';
    case 'sweep':
      return `sweep ${g.keeper.sweep} (${g.keeper.variants} variant${g.keeper.variants === 1 ? '' : 's'})`;
    case 'run-cache':
      return `older runs in the run-cache (${g.keeper.runs}, --keep-runs)`;
  }
}
