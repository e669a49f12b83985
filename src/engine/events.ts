import type { StageFailure } from '../model/failure.js';
import type { StagePlan } from '../plan/change-reason.js';
import type { ExecutorKind } from '../model/stage.js';
import type { NotStarted } from '../schedule/scheduler.js';

/** What a repro reports as it goes; the UI layer decides how to show it. */
export type ReproEvent =
  | { type: 'stage-planned'; stage: string; plan: StagePlan; executor: ExecutorKind; fingerprint?: string }
  | { type: 'stage-skipped'; stage: string; plan: StagePlan }
  | { type: 'stage-restored'; stage: string; plan: StagePlan }
  | { type: 'stage-started'; stage: string; plan: StagePlan; cmd: string[]; logFile: string }
  | { type: 'stage-output'; stage: string; line: string; stream: 'stdout' | 'stderr' }
  /** The stage waits in its executor's queue (a Slurm job) since `queuedAt`; repeated with `startedAt` once it is known. */
  | { type: 'stage-queued'; stage: string; queuedAt: string; startedAt?: string }
  | { type: 'stage-succeeded'; stage: string; durationMs: number; logFile: string }
  /** `failure` is data (a closed union); `src/ui` says it in words. */
  | { type: 'stage-failed'; stage: string; failure: StageFailure; durationMs: number; logFile?: string }
  | { type: 'stage-cancelled'; stage: string; logFile?: string }
  | { type: 'stage-not-started'; stage: string; why: NotStarted }
  | { type: 'interrupting' };

export type ReproListener = (event: ReproEvent) => void;
