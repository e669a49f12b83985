import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { closeWorkspace, openWorkspace, type Workspace } from '../../src/engine/workspace.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Schedules `cleanup` after the current test (before the workspace itself is closed and removed). */
export function afterThisTest(cleanup: () => Promise<void>): void {
  cleanups.unshift(cleanup);
}

/** A temp workspace holding these files, opened; closed and removed after the test. */
export async function tempWorkspace(prefix: string, files: Record<string, string>): Promise<{ root: string; ws: Workspace; write: (more: Record<string, string>) => void }> {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), prefix)));
  const write = (more: Record<string, string>) => {
    for (const [rel, content] of Object.entries(more)) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), content);
    }
  };
  write(files);
  const opened = await openWorkspace(root);
  if (!opened.ok) throw new Error(opened.error.map((d) => d.message).join('\n'));
  const ws = opened.value;
  cleanups.push(async () => {
    await closeWorkspace(ws);
    rmSync(root, { recursive: true, force: true });
  });
  return { root, ws, write };
}
