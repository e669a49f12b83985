import { readdirSync, readFileSync } from 'node:fs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Signals a whole process group, escalating from SIGTERM to SIGKILL. */
export async function killProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signal(-pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(50);
    if (!isProcessAlive(-pgid)) return;
  }
  signal(-pgid, 'SIGKILL');
}

/**
 * Stops the processes whose environment holds all of `vars`, their descendants (a child that
 * cleared its environment is still found through its parent) and the process `groups`: SIGTERM,
 * then SIGKILL to whatever is left after `graceMs`. The processes are found when this is called, and
 * once more before SIGKILL, not by watching /proc: one that left its group (setsid) still carries the
 * tags. Resolves once everything it found has exited.
 */
export async function terminateTagged(vars: Record<string, string>, graceMs: number, groups: readonly number[] = []): Promise<void> {
  const targets = (): number[] => {
    const tagged = processesWithEnv(vars).map((p) => p.pid);
    return [...new Set([...groups, ...tagged, ...descendantsOf([...groups, ...tagged])])];
  };
  const running = (pids: readonly number[]) => pids.some((pid) => (statFields(pid)?.[0] ?? 'Z') !== 'Z');
  let found = targets();
  for (const g of groups) signal(-g, 'SIGTERM');
  for (const pid of found) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (running(found) && Date.now() < deadline) await sleep(50);
  if (!running(found)) return;
  found = targets();
  for (const g of groups) signal(-g, 'SIGKILL');
  for (const pid of found) signal(pid, 'SIGKILL');
  for (let i = 0; i < 100 && running(found); i++) await sleep(50);
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
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
 * True if the process has exited but its parent has not collected it yet: it can no longer do
 * anything, so for a lock or a marker it is dead. (In containers PID 1 often never reaps orphans.)
 */
export function isZombie(pid: number): boolean {
  return statFields(pid)?.[0] === 'Z';
}

/** Fields of /proc/PID/stat after the command name, which may itself contain spaces and parens. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * The kernel's start time of a process (clock ticks since boot), or undefined if it is gone. Stored
 * next to a pid so a later process never signals an unrelated program that reused the number.
 */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

function allPids(): string[] {
  try {
    return readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
}

/** Every live (non-zombie) descendant of the `roots`, found through parent links in /proc. */
export function descendantsOf(roots: readonly number[]): number[] {
  if (roots.length === 0) return [];
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const f = statFields(pid);
    if (!f || f[0] === 'Z') continue;
    const ppid = Number(f[1]);
    const list = children.get(ppid);
    if (list) list.push(Number(pid));
    else children.set(ppid, [Number(pid)]);
  }
  const found: number[] = [];
  const queue = [...roots];
  while (queue.length > 0) {
    for (const child of children.get(queue.pop()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * Processes (other than this one) whose environment contains all of `vars`, with their groups. Stage
 * commands carry ORCHESTRATOR_RUN_ID and ORCHESTRATOR_STAGE, so this finds what a dead orchestrator
 * left running even when it died before recording a pid, and never matches an unrelated process
 * that reused one.
 */
export function processesWithEnv(vars: Record<string, string>): Array<{ pid: number; pgid: number }> {
  const wanted = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
  const found: Array<{ pid: number; pgid: number }> = [];
  for (const pid of allPids()) {
    if (Number(pid) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!wanted.every((w) => env.includes(w))) continue;
      const pgid = Number(statFields(pid)?.[2]);
      if (pgid > 1) found.push({ pid: Number(pid), pgid });
    } catch {
      // Exited meanwhile, or not ours to read.
    }
  }
  return found;
}

/** Process groups of `processesWithEnv(vars)`. */
export function processGroupsWithEnv(vars: Record<string, string>): number[] {
  return [...new Set(processesWithEnv(vars).map((p) => p.pgid))];
}
