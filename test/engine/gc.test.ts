/**
 * gc decides what to delete from what the locks reference. A directory output is kept through its
 * manifest; if that manifest cannot be read for a reason other than "missing" or "corrupt" (an I/O
 * error, too many open files), gc must not treat the directory as referencing nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { collectGarbage } from '../../src/engine/gc.js';
import { closeWorkspace, openWorkspace, type Workspace } from '../../src/engine/workspace.js';

let opened: { root: string; ws: Workspace } | undefined;
afterEach(async () => {
  if (!opened) return;
  await closeWorkspace(opened.ws);
  rmSync(opened.root, { recursive: true, force: true });
  opened = undefined;
});

const cli = path.resolve(import.meta.dirname, '../../bin/orchestrator.js');

describe('gc', () => {
  it('removes nothing when a locked directory manifest cannot be read (I/O error)', async () => {
    const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-gc-')));
    writeFileSync(path.join(root, 'pipeline.yaml'), 'stages:\n  gen:\n    cmd: mkdir -p out && echo a > out/a.txt && echo b > out/b.txt\n    outs: [out]\n');
    execFileSync(process.execPath, [cli, '-C', root, 'repro'], { stdio: 'ignore' });
    const result = await openWorkspace(root);
    if (!result.ok) throw new Error('workspace');
    const ws = result.value;
    opened = { root, ws };
    const before: string[] = [];
    for await (const h of ws.store.listObjects()) before.push(h);
    expect(before.length).toBe(3); // the manifest and two files

    const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    ws.store.readManifest = async () => {
      throw eio;
    };
    await expect(collectGarbage(ws, { dry: false, keepRuns: 0 })).rejects.toThrow(/EIO/);
    const after: string[] = [];
    for await (const h of ws.store.listObjects()) after.push(h);
    expect(after.sort()).toEqual(before.sort());
  });
});
