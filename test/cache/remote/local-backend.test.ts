/**
 * The shared-folder backend (a mounted group share, NFS) through the same RemoteBackend contract as
 * S3 and SSH, on a real folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LocalFolderBackend } from '../../../src/cache/remote/local.js';
import { describeBackendContract } from './backend-contract.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'orch-folder-remote-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeBackendContract('folder', () => ({
  open: () => LocalFolderBackend.open({ name: 'share', url: path.join(dir, 'store'), options: {} }),
  largeSize: 20 * 1024 * 1024,
}));
