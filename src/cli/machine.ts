import { availableParallelism, totalmem } from 'node:os';

/** What this machine offers the scheduler: its CPUs and its memory in GiB. */
export function machineCapacity(): { cpus: number; mem_gb: number } {
  return { cpus: availableParallelism(), mem_gb: Math.floor(totalmem() / 2 ** 30) };
}
