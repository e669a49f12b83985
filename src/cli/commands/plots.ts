import path from 'node:path';
import { workspaceLayout } from '../../workspace/layout.js';
import { writeFileAtomic, mkdirp } from '../../util/atomic-write.js';
import { resolveRef, type Ref } from '../../sweep/refs.js';
import { collectPlotDefinitions, selectPlots } from '../../report/plots/definitions.js';
import { EXIT, type Io } from '../io.js';
import { loadProject, report, type Project } from '../project.js';
import { declaredSweeps } from '../../sweep/spec.js';
import { readSweep } from '../../sweep/state.js';
import { resultTable } from '../../sweep/results.js';

export interface PlotsFlags {
  json: boolean;
  /** Folder for index.html; default .orchestrator/plots. */
  out?: string;
  targets: string[];
}

/** `plots show [TARGET...]`: the workspace's plots. */
export function plotsShowCommand(root: string, flags: PlotsFlags, io: Io): Promise<number> {
  return plotsCommand(root, ['workspace'], flags, io);
}

/**
 * `plots diff [REV...]` as DVC: no revision compares HEAD with the workspace, one compares it with
 * the workspace, several are drawn exactly as given (git revisions, `workspace`, SWEEP/VARIANT).
 */
export function plotsDiffCommand(root: string, revs: string[], flags: PlotsFlags, io: Io): Promise<number> {
  const texts = revs.length === 0 ? ['HEAD', 'workspace'] : revs.length === 1 ? [revs[0]!, 'workspace'] : revs;
  return plotsCommand(root, texts, flags, io);
}

async function plotsCommand(root: string, refTexts: string[], flags: PlotsFlags, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const defs = collectPlotDefinitions(project.pipeline);
  if (!defs.ok) {
    for (const e of defs.error) io.err(`${project.configFiles.find((f) => f === 'dvc.yaml') ?? 'pipeline.yaml'}: ${e}\n`);
    return EXIT.invalid;
  }
  const chosen = selectPlots(defs.value, flags.targets);
  if (!chosen.ok) {
    for (const e of chosen.error) io.err(`error: ${e}\n`);
    return EXIT.invalid;
  }
  const refs: Ref[] = [];
  for (const text of [...new Set(refTexts)]) {
    const ref = await resolveRef(root, text);
    if (!ref.ok) {
      io.err(`error: ${ref.error}\n`);
      return EXIT.invalid;
    }
    refs.push(ref.value);
  }
  const { loadPlots } = await import('../../report/plots/load.js');
  const loaded = await loadPlots(root, chosen.value, refs);
  // The figures of every declared sweep that has run here (sweeps.NAME.figures) join the workspace's plots.
  const figures = flags.targets.length === 0 && refs.length === 1 && refs[0]!.kind === 'workspace' ? await sweepFigures(root, project, io) : [];
  if (typeof figures === 'number') return figures;
  for (const f of figures) loaded.plots.push({ id: f.id, kind: 'vega', template: 'sweep-figure', spec: f.spec, points: f.points, series: [] });
  if (flags.json) {
    io.out(`${JSON.stringify({ revs: refs.map((r) => r.label), plots: loaded.plots, errors: loaded.errors }, null, 2)}\n`);
    return EXIT.ok;
  }
  for (const e of loaded.errors) io.err(`warning: ${e.rev}: ${e.file}: ${e.message}\n`);
  if (loaded.plots.length === 0) {
    io.out('No plots: declare them with plots: in pipeline.yaml (a stage output or the top-level list).\n');
    return EXIT.ok;
  }
  const { plotsSection } = await import('../../report/plots/html.js');
  const { htmlPage } = await import('../../report/html.js');
  const html = htmlPage('Plots', refs.map((r) => r.label).join(' vs '), `<section>${await plotsSection(loaded)}</section>`);
  const dir = path.resolve(root, flags.out ?? path.relative(root, path.join(workspaceLayout(root).dir, 'plots')));
  await mkdirp(dir);
  const file = path.join(dir, 'index.html');
  await writeFileAtomic(file, html);
  io.out(`${file}\n`);
  return EXIT.ok;
}

async function sweepFigures(root: string, project: Project, io: Io): Promise<{ id: string; spec: Record<string, unknown>; points: number }[] | number> {
  const declared = declaredSweeps(project.files);
  if (!declared.ok) return report(declared.error, project.files, io);
  const out: { id: string; spec: Record<string, unknown>; points: number }[] = [];
  for (const [name, spec] of declared.value.specs) {
    if (!spec.figures || Object.keys(spec.figures).length === 0) continue;
    const record = await readSweep(root, name);
    if (!record) continue;
    const table = resultTable(record);
    const { sweepFigure } = await import('../../report/sweep-figures.js');
    for (const [figName, fig] of Object.entries(spec.figures)) {
      const plot = sweepFigure(table, figName, fig);
      if (!plot.ok) {
        io.err(`pipeline.yaml: sweeps.${name}.figures.${plot.error.replace(/^figure /, '')}\n`);
        return EXIT.invalid;
      }
      out.push({ id: `${name}/${figName}`, spec: plot.value.spec, points: plot.value.points });
    }
  }
  return out;
}
