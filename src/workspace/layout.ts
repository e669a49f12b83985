import path from 'node:path';

/** Where the tool keeps its own files inside a workspace (all under the git-ignored `.orchestrator/`). */
export interface WorkspaceLayout {
  root: string;
  dir: string;
  cache: string;
  state: string;
  statCache: string;
  logs: string;
  runs: string;
  running: string;
  tmp: string;
  reproLock: string;
}

export function workspaceLayout(root: string): WorkspaceLayout {
  const dir = path.join(root, '.orchestrator');
  return {
    root,
    dir,
    cache: path.join(dir, 'cache'),
    state: path.join(dir, 'state'),
    statCache: path.join(dir, 'state', 'stat-cache.json'),
    logs: path.join(dir, 'logs'),
    runs: path.join(dir, 'runs'),
    running: path.join(dir, 'running'),
    tmp: path.join(dir, 'tmp'),
    reproLock: path.join(dir, 'repro.lock'),
  };
}

/** Stage names contain `@` and `-`, which are fine in file names; anything else is escaped. */
export function stageFileName(stage: string): string {
  return stage.replace(/[^A-Za-z0-9_.@-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
