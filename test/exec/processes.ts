import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** Alive and not a zombie (zombies linger here because PID 1 does not reap orphans). */
export function running(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
}

/** Polls `cond` for up to 5 s, then asserts it. */
export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}
