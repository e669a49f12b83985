import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DoctorCheck } from './check.js';

/**
 * What local stages need: `sh` on PATH (every command runs as `sh -c CMD`), and a readable
 * /proc/PID/environ, through which cancel finds a stage's processes that left its process group.
 */
export const localCheck: DoctorCheck = async (ctx) => {
  const sh = (ctx.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir || '.', 'sh')).find(executable);
  const shRow = sh
    ? { name: 'local stages', status: 'ok' as const, detail: `${sh}, each in its own process group` }
    : { name: 'local stages', status: 'fail' as const, detail: 'no sh on PATH', hint: 'local stages run as sh -c CMD: install a POSIX shell (dash, bash)' };
  let proc: boolean;
  try {
    readFileSync('/proc/self/environ');
    proc = true;
  } catch {
    proc = false;
  }
  const procRow = proc
    ? { name: 'process tags', status: 'ok' as const, detail: '/proc readable: cancel finds every process of a stage' }
    : { name: 'process tags', status: 'warn' as const, detail: '/proc/PID/environ is not readable', hint: 'cancel then reaches only the process group of a stage, not processes that left it (Linux only)' };
  return [shRow, procRow];
};

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
