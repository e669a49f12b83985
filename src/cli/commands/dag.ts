import { renderDag, type DagFormat } from '../../graph/render.js';
import { EXIT, type Io } from '../io.js';
import { loadProject, select } from '../project.js';

export async function dagCommand(root: string, targets: string[], format: DagFormat, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const selected = select(project, targets, {}, io);
  if (typeof selected === 'number') return selected;
  if (format === 'text' && io.isTTY) {
    // A picture on a terminal; the plain list stays for pipes and scripts.
    const [{ collapseGroups }, { asciiDag }] = await Promise.all([import('../../graph/collapse.js'), import('../../graph/ascii.js')]);
    io.out(`${asciiDag(collapseGroups(project.graph, selected))}\n`);
    return EXIT.ok;
  }
  io.out(`${renderDag(project.graph, selected, format)}\n`);
  return EXIT.ok;
}
