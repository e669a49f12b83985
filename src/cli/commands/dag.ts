import { renderDag, type DagFormat } from '../../graph/render.js';
import { EXIT, type Io } from '../io.js';
import { loadProject, select } from '../project.js';

export async function dagCommand(root: string, targets: string[], format: DagFormat, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const selected = select(project, targets, {}, io);
  if (typeof selected === 'number') return selected;
  io.out(`${renderDag(project.graph, selected, format)}\n`);
  return EXIT.ok;
}
