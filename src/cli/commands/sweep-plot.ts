import path from 'node:path';
import { declaredSweeps } from '../../sweep/spec.js';
import { readSweep } from '../../sweep/state.js';
import { chooseColumns, resultTable, toTable } from '../../sweep/results.js';
import { mkdirp, writeFileAtomic } from '../../util/atomic-write.js';
import { workspaceLayout } from '../../workspace/layout.js';
import { EXIT, type Io } from '../io.js';
import { loadProject, report } from '../project.js';

/**
 * `sweep plot NAME [FIGURE...]` and `report --sweep NAME`: the sweep's declared figures over its
 * result table, and the table itself (sortable), in one self-contained HTML page.
 */
export async function sweepPlotCommand(root: string, name: string, figures: string[], flags: { json: boolean; out?: string; title?: string }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const declared = declaredSweeps(project.files);
  if (!declared.ok) return report(declared.error, project.files, io);
  const record = await readSweep(root, name);
  if (!record) {
    io.err(`error: sweep "${name}" has not run here; start it with orchestrator sweep run ${name}\n`);
    return EXIT.invalid;
  }
  const declaredFigures = declared.value.specs.get(name)?.figures ?? {};
  const unknown = figures.filter((f) => !Object.hasOwn(declaredFigures, f));
  if (unknown.length > 0) {
    io.err(`error: sweep ${name} declares no figure ${unknown.map((f) => `"${f}"`).join(', ')}; figures: ${Object.keys(declaredFigures).join(', ') || 'none (add figures: to the sweep in pipeline.yaml)'}\n`);
    return EXIT.invalid;
  }
  const table = resultTable(record);
  const { sweepFigure } = await import('../../report/sweep-figures.js');
  const plots = [];
  for (const [figName, fig] of Object.entries(declaredFigures)) {
    if (figures.length > 0 && !figures.includes(figName)) continue;
    const plot = sweepFigure(table, figName, fig);
    if (!plot.ok) {
      io.err(`pipeline.yaml: sweeps.${name}.figures.${plot.error.replace(/^figure /, '')}\n`);
      return EXIT.invalid;
    }
    plots.push(plot.value);
  }
  const plain = toTable(table, chooseColumns(table, undefined, { hideVariant: false }));
  if (flags.json) {
    io.out(`${JSON.stringify({ sweep: name, figures: plots, table: plain }, null, 2)}\n`);
    return EXIT.ok;
  }
  const [{ renderSvg }, { esc, htmlPage, htmlTable }] = await Promise.all([import('../../report/plots/render.js'), import('../../report/html.js')]);
  const figureHtml: string[] = [];
  for (const p of plots) figureHtml.push(`<div class="plot" data-plot="${esc(p.name)}" data-points="${p.points}">${p.points === 0 ? `<h3>${esc(p.name)}</h3><p>no data</p>` : await renderSvg(p.spec)}</div>`);
  const body = [
    plots.length > 0 ? `<section id="figures"><h2>Figures</h2><div class="plots">${figureHtml.join('\n')}</div></section>` : '',
    `<section id="sweep-table"><h2>Results (${plain.rows.length} variants; click a header to sort)</h2>${htmlTable(plain.columns, plain.rows, { sortable: true, id: 'results-table' })}</section>`,
  ].join('\n');
  const html = htmlPage(flags.title ?? `Sweep ${name}`, record.desc ?? `${plain.rows.length} variants`, body);
  const dir = path.resolve(root, flags.out ?? path.join(workspaceLayout(root).dir, 'sweeps-plots', name));
  await mkdirp(dir);
  const file = path.join(dir, 'index.html');
  await writeFileAtomic(file, html);
  io.out(`${file}\n`);
  return EXIT.ok;
}
