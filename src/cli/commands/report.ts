import path from 'node:path';
import { mkdirp, writeFileAtomic } from '../../util/atomic-write.js';
import { workspaceLayout } from '../../workspace/layout.js';
import { EXIT, type Io } from '../io.js';
import { loadProject } from '../project.js';

/** `report [--run ID]`: one self-contained HTML page about a run (default: the latest). */
export async function reportCommand(root: string, flags: { run?: string; json: boolean; out?: string }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const { buildRunReport } = await import('../../report/run-report.js');
  const report = await buildRunReport(project, flags.run);
  if (!report.ok) {
    io.err(`error: ${report.error}\n`);
    return EXIT.invalid;
  }
  if (flags.json) {
    io.out(`${JSON.stringify(report.value, null, 2)}\n`);
    return EXIT.ok;
  }
  const { collectPlotDefinitions } = await import('../../report/plots/definitions.js');
  const defs = collectPlotDefinitions(project.pipeline);
  let plotsHtml: string | undefined;
  if (!defs.ok) plotsHtml = `<p class="errors">${defs.error.map((e) => e.replace(/</g, '&lt;')).join('<br>')}</p>`;
  else if (defs.value.length > 0) {
    const { loadPlots } = await import('../../report/plots/load.js');
    const { plotsSection } = await import('../../report/plots/html.js');
    plotsHtml = await plotsSection(await loadPlots(root, defs.value, [{ kind: 'workspace', label: 'workspace' }]));
  }
  const { runReportHtml } = await import('../../report/run-report-html.js');
  const html = await runReportHtml(report.value, plotsHtml);
  const dir = path.resolve(root, flags.out ?? path.join(workspaceLayout(root).dir, 'report'));
  await mkdirp(dir);
  const file = path.join(dir, 'index.html');
  await writeFileAtomic(file, html);
  io.out(`${file}\n`);
  return EXIT.ok;
}
