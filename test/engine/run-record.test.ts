/** RunRecorder: queue times reported by a queued executor (Slurm) land in the stage's record. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunRecorder, type RunRecord } from '../../src/engine/run-record.js';
import type { StagePlan } from '../../src/plan/change-reason.js';

const dirs: string[] = [];
const run = (stage: string): StagePlan => ({ stage, action: 'run', reasons: [] });
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('run record', () => {
  it('keeps queuedAt/startedAt of the last submission; a resubmission drops the earlier start; stages without a queue have neither', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'orch-run-record-'));
    dirs.push(root);
    const recorder = new RunRecorder(path.join(root, 'runs'), 'r1', ['repro'], root);
    const log = path.join(root, 'logs', 'x.log');
    recorder.onEvent({ type: 'stage-started', stage: 'synth', plan: run('synth'), cmd: ['make'], logFile: log });
    recorder.onEvent({ type: 'stage-queued', stage: 'synth', queuedAt: '2026-12-03T10:00:01.000Z' });
    recorder.onEvent({ type: 'stage-queued', stage: 'synth', queuedAt: '2026-12-03T10:00:01.000Z', startedAt: '2026-12-03T10:00:31.000Z' });
    // NODE_FAIL: submitted again; the first job's start no longer describes the stage.
    recorder.onEvent({ type: 'stage-queued', stage: 'synth', queuedAt: '2026-12-03T10:01:00.000Z' });
    recorder.onEvent({ type: 'stage-queued', stage: 'synth', queuedAt: '2026-12-03T10:01:00.000Z', startedAt: '2026-12-03T10:01:05.000Z' });
    recorder.onEvent({ type: 'stage-succeeded', stage: 'synth', durationMs: 70_000, logFile: log });
    recorder.onEvent({ type: 'stage-started', stage: 'prep', plan: run('prep'), cmd: ['true'], logFile: log });
    recorder.onEvent({ type: 'stage-succeeded', stage: 'prep', durationMs: 5, logFile: log });
    recorder.onEvent({ type: 'stage-started', stage: 'gone', plan: run('gone'), cmd: ['true'], logFile: log });
    recorder.onEvent({ type: 'stage-queued', stage: 'gone', queuedAt: '2026-12-03T10:02:00.000Z', startedAt: '2026-12-03T10:02:01.000Z' });
    recorder.onEvent({ type: 'stage-queued', stage: 'gone', queuedAt: '2026-12-03T10:03:00.000Z' });
    recorder.onEvent({ type: 'stage-cancelled', stage: 'gone' });
    await recorder.finish('succeeded');
    const record = JSON.parse(readFileSync(recorder.file, 'utf8')) as RunRecord;
    expect(record.stages.synth).toMatchObject({ status: 'succeeded', queuedAt: '2026-12-03T10:01:00.000Z', startedAt: '2026-12-03T10:01:05.000Z' });
    expect(record.stages.prep).not.toHaveProperty('queuedAt');
    expect(record.stages.prep).not.toHaveProperty('startedAt');
    expect(record.stages.gone).toMatchObject({ status: 'cancelled', queuedAt: '2026-12-03T10:03:00.000Z' });
    expect(record.stages.gone).not.toHaveProperty('startedAt');
  });
});
