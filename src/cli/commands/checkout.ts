import { checkout, type CheckoutItem } from '../../engine/checkout.js';
import { EXIT, type Io } from '../io.js';
import { withExclusiveWorkspace } from '../exclusive-workspace.js';
import { loadProject, select } from '../project.js';

export async function checkoutCommand(root: string, targets: string[], flags: { force: boolean; json: boolean }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const selected = select(project, targets, { single: true }, io);
  if (typeof selected === 'number') return selected;
  return withExclusiveWorkspace(project, io, { wait: true }, async (ws) => {
    const items = await checkout(ws, selected.map((n) => project.graph.stages.get(n)!), { force: flags.force });
    if (flags.json) io.out(`${JSON.stringify({ items }, null, 2)}\n`);
    else for (const item of items) if (item.result !== 'unchanged') io.out(`${describe(item)}\n`);
    const problems = items.filter((i) => i.result === 'not-in-cache' || i.result === 'modified-kept' || i.result === 'failed' || i.result === 'not-declared');
    if (!flags.json) {
      const restored = items.filter((i) => i.result === 'restored').length;
      io.out(`${restored} output${restored === 1 ? '' : 's'} restored${problems.length > 0 ? `, ${problems.length} not restored` : ''}.\n`);
    }
    return problems.length > 0 ? EXIT.failed : EXIT.ok;
  });
}

function describe(item: CheckoutItem): string {
  switch (item.result) {
    case 'restored':
      return `${item.stage}: restored ${item.path}`;
    case 'unchanged':
      return `${item.stage}: ${item.path} is up to date`;
    case 'modified-kept':
      return `${item.stage}: ${item.path} was modified; kept (use --force to overwrite it with the locked version)`;
    case 'not-in-cache':
      return `${item.stage}: ${item.path} is not in the cache; run "orchestrator repro ${item.stage}" to rebuild it`;
    case 'not-cached':
      return `${item.stage}: ${item.path} differs from the lock but is declared cache: false, so it cannot be restored`;
    case 'no-lock-entry':
      return `${item.stage}: no entry in pipeline.lock; nothing to check out`;
    case 'not-declared':
      return `${item.stage}: pipeline.lock names output ${item.path}, which the stage does not declare; not touched`;
    case 'failed':
      return `${item.stage}: ${item.path} not restored: ${item.message}`;
  }
}
