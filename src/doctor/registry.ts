import type { DoctorCheck } from './check.js';

/**
 * The checks `orchestrator doctor` runs, in table order. Each group lives in its own module and is
 * loaded lazily (Docker's pulls in dockerode), so adding a group is one line here.
 */
export const doctorCheckLoaders: Array<() => Promise<DoctorCheck>> = [
  () => import('./local-check.js').then((m) => m.localCheck),
  () => import('./docker-check.js').then((m) => m.dockerCheck),
  () => import('./finn-check.js').then((m) => m.finnCheck),
  () => import('./slurm-check.js').then((m) => m.slurmCheck),
];
