import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { refReader, type Ref } from '../../sweep/refs.js';
import { assemblePlot } from './assemble.js';
import { parsePlotData, plotFileKind, type Datum } from './data.js';
import type { PlotDefinition } from './definitions.js';
import { plotSpec, type VegaLiteSpec } from './templates.js';

/** One plot ready to render: its spec with data inlined, or an image per revision. */
export type LoadedPlot =
  | { id: string; kind: 'vega'; template: string; spec: VegaLiteSpec; points: number; series: string[] }
  | { id: string; kind: 'image'; images: { rev: string; file: string; dataUri: string }[] };

export interface LoadedPlots {
  plots: LoadedPlot[];
  /** A file that could not be read or parsed at a revision: shown, never fatal (as DVC). */
  errors: { rev: string; file: string; message: string }[];
}

/** Reads every file the definitions name at every ref and builds the plots. */
export async function loadPlots(root: string, defs: readonly PlotDefinition[], refs: readonly Ref[]): Promise<LoadedPlots> {
  const errors: LoadedPlots['errors'] = [];
  const plots: LoadedPlot[] = [];
  const readers = new Map(refs.map((r) => [r.label, { ref: r, read: refReader(root, r) }]));
  for (const def of defs) {
    if (def.kind === 'image') {
      const images: { rev: string; file: string; dataUri: string }[] = [];
      for (const { ref } of readers.values())
        for (const s of def.y) {
          const uri = await imageAt(root, ref, s.file).catch((e: Error) => (errors.push({ rev: ref.label, file: s.file, message: e.message }), undefined));
          if (uri !== undefined) images.push({ rev: ref.label, file: s.file, dataUri: uri });
        }
      plots.push({ id: def.id, kind: 'image', images });
      continue;
    }
    // A declared directory stands for the data files under it, each its own plot (as in DVC).
    const expanded = await expandDirectories(root, def, refs);
    for (const d of expanded) {
      const files = new Map<string, Map<string, Datum[]>>();
      for (const [label, { read }] of readers) {
        const perFile = new Map<string, Datum[]>();
        for (const s of d.y) {
          let text: string | undefined;
          try {
            text = await read(s.file);
          } catch (e) {
            errors.push({ rev: label, file: s.file, message: (e as Error).message });
            continue;
          }
          if (text === undefined) {
            errors.push({ rev: label, file: s.file, message: 'does not exist' });
            continue;
          }
          const rows = parsePlotData(s.file, text, d.header === undefined ? {} : { header: d.header });
          if (rows.ok) perFile.set(s.file, rows.value);
          else errors.push({ rev: label, file: s.file, message: rows.error });
        }
        files.set(label, perFile);
      }
      const data = assemblePlot(d, [...readers.keys()], files);
      plots.push({ id: d.id, kind: 'vega', template: d.template, spec: plotSpec(d, data), points: data.rows.length, series: data.series });
    }
  }
  return { plots, errors };
}

async function expandDirectories(root: string, def: PlotDefinition, refs: readonly Ref[]): Promise<PlotDefinition[]> {
  if (def.y.length !== 1) return [def];
  const only = def.y[0]!;
  const base = refs.find((r) => r.kind !== 'git');
  const dirRoot = base?.kind === 'variant' ? base.root : root;
  const isDir = await stat(path.join(dirRoot, only.file)).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) return [def];
  const files = (await listFiles(path.join(dirRoot, only.file))).map((f) => path.posix.join(only.file, f)).sort();
  return files.filter((f) => plotFileKind(f) === 'table').map((f) => ({ ...def, id: f, y: [{ file: f, fields: only.fields }] }));
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), path.posix.join(prefix, e.name))));
    else if (e.isFile()) out.push(path.posix.join(prefix, e.name));
  }
  return out;
}

const MIME: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', svg: 'image/svg+xml' };

/** Images are read as bytes from the workspace or a variant; a git revision's image is not shown. */
async function imageAt(root: string, ref: Ref, file: string): Promise<string | undefined> {
  if (ref.kind === 'git') throw new Error('images are shown for the workspace and sweep variants only');
  const base = ref.kind === 'variant' ? ref.root : root;
  const bytes = await readFile(path.join(base, file)).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new Error('does not exist');
    throw e;
  });
  const ext = file.slice(file.lastIndexOf('.') + 1).toLowerCase();
  return `data:${MIME[ext] ?? 'application/octet-stream'};base64,${bytes.toString('base64')}`;
}
