import { readdirSync, readFileSync } from 'node:fs';

/** Signals a whole process group, escalating from SIGTERM to SIGKILL. */
export async function killProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    if (!isProcessAlive(-pgid)) return;
  }
  signalGroup(pgid, 'SIGKILL');
}

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** True if a process (positive pid) or any member of a group (negative pid) exists. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The kernel's start time of a process (clock ticks since boot), or undefined if it is gone. Stored
 * next to a pid so a later process never signals an unrelated program that reused the number.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may contain spaces, so count from its closing paren.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Process groups of every process whose environment contains all of `vars`. Stage commands carry
 * ORCHESTRATOR_RUN_ID and ORCHESTRATOR_STAGE, so this finds what a dead orchestrator left running even
 * when it died before recording a pid, and never matches an unrelated process that reused one.
 */
export function processGroupsWithEnv(vars: Record<string, string>): number[] {
  const wanted = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
  const groups = new Set<number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!wanted.every((w) => env.includes(w))) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgid > 1) groups.add(pgid);
    } catch {
      // Exited meanwhile, or not ours to read.
    }
  }
  return [...groups];
}
