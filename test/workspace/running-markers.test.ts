import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningMarker } from '../../src/exec/executor.js';
import { RunningMarkers } from '../../src/workspace/running-markers.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function journalDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'orch-markers-'));
  dirs.push(d);
  return path.join(d, 'running');
}

const marker = (stage: string, runId: string, handleId = ''): RunningMarker => ({ stage, runId, pid: 4242, executor: 'local', handleId, started: '2026-11-20T00:00:00.000Z' });

describe('RunningMarkers (a journal per run)', () => {
  it('lists the stages started and not ended; the latest write of a stage wins', async () => {
    const dir = journalDir();
    const run = new RunningMarkers(dir, 'run-1');
    run.write(marker('a', 'run-1'));
    run.write(marker('b', 'run-1'));
    run.write(marker('b', 'run-1', 'job-7'));
    run.remove('a');
    expect(await new RunningMarkers(dir).list()).toEqual([marker('b', 'run-1', 'job-7')]);
    // A stage that runs again in the same run (watch restarts it) is pending again.
    run.write(marker('a', 'run-1'));
    expect((await new RunningMarkers(dir).list()).map((m) => m.stage).sort()).toEqual(['a', 'b']);
    run.close();
  });

  it('a later run settles a dead run\'s marker; its own markers of the same stage are separate', async () => {
    const dir = journalDir();
    const dead = new RunningMarkers(dir, 'run-1');
    dead.write(marker('a', 'run-1'));
    dead.write(marker('b', 'run-1'));
    dead.close();
    const next = new RunningMarkers(dir, 'run-2');
    next.settle(marker('a', 'run-1'));
    next.write(marker('a', 'run-2'));
    expect((await next.list()).map((m) => `${m.runId}/${m.stage}`).sort()).toEqual(['run-1/b', 'run-2/a']);
    next.remove('a');
    expect((await next.list()).map((m) => `${m.runId}/${m.stage}`)).toEqual(['run-1/b']);
    next.close();
  });

  it('compaction keeps exactly what is pending in one file, and leaves no file when nothing is', async () => {
    const dir = journalDir();
    const r1 = new RunningMarkers(dir, 'run-1');
    r1.write(marker('a', 'run-1'));
    r1.write(marker('b', 'run-1'));
    r1.close();
    const r2 = new RunningMarkers(dir, 'run-2');
    r2.settle(marker('a', 'run-1'));
    r2.close();
    const before = await new RunningMarkers(dir).list();
    await new RunningMarkers(dir).compact();
    expect(readdirSync(dir)).toEqual(['0-compacted.jsonl']);
    expect(await new RunningMarkers(dir).list()).toEqual(before);

    const r3 = new RunningMarkers(dir, 'run-3');
    r3.settle(marker('b', 'run-1'));
    r3.close();
    await new RunningMarkers(dir).compact();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('skips a torn or foreign line instead of failing', async () => {
    const dir = journalDir();
    const run = new RunningMarkers(dir, 'run-1');
    run.write(marker('a', 'run-1'));
    run.close();
    appendFileSync(path.join(dir, 'run-1.jsonl'), '{"op":"end","stage":"a","ru');
    appendFileSync(path.join(dir, 'junk.jsonl'), 'not json\n[1,2]\n');
    expect(await new RunningMarkers(dir).list()).toEqual([marker('a', 'run-1')]);
  });
});
