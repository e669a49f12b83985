/**
 * The workspace lock under contention. Small node processes (lock-contender.mjs) call the built lock
 * module and report when they held it; several of them race for a lock that a SIGKILLed process left
 * behind, 200 times, and no two may ever hold it at once. Then the same with real `repro` processes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { processStartTime } from '../../src/exec/process-group.js';
import { cleanupProjects, createProject, isAlive, waitFor, yamlLines } from './harness.js';

const CONTENDER = path.join(path.dirname(new URL(import.meta.url).pathname), 'lock-contender.mjs');
const TRIALS = 200;
const RACERS = 5;

type Answer = Record<string, unknown>;

/** One contender process; `ask` sends a command line and resolves with its JSON answer. */
class Contender {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly answers: Answer[] = [];
  private waiting: ((a: Answer) => void) | undefined;
  readonly exited: Promise<void>;

  constructor() {
    contenders.add(this);
    this.child = spawn(process.execPath, [CONTENDER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.pipe(process.stderr);
    this.exited = new Promise((r) => this.child.on('exit', () => r()));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const a = JSON.parse(line) as Answer;
      if (typeof a.error === 'string') throw new Error(`contender ${this.child.pid}: ${a.error}`);
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(a);
      } else this.answers.push(a);
    });
  }

  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  next(): Promise<Answer> {
    const queued = this.answers.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((r) => (this.waiting = r));
  }

  ask(line: string): Promise<Answer> {
    this.send(line);
    return this.next();
  }

  async kill(): Promise<void> {
    contenders.delete(this);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

const contenders = new Set<Contender>();
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-lock-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  await Promise.all([...contenders].map((c) => c.kill()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
afterEach(cleanupProjects);

/** `.orchestrator/` as a SIGKILLed holder of its repro lock left it, whatever the lock's format. */
async function staleLockTemplate(): Promise<string> {
  const dir = path.join(tempDir(), '.orchestrator');
  mkdirSync(dir);
  const holder = new Contender();
  expect(await holder.ask(`hold ${path.join(dir, 'repro.lock')}`)).toEqual({ held: true });
  await holder.kill();
  return dir;
}

interface Holding {
  pid: number;
  start: bigint;
  end: bigint;
}

function overlaps(holdings: Holding[]): number {
  const sorted = [...holdings].sort((a, b) => (a.start < b.start ? -1 : 1));
  let doubles = 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.start < sorted[i - 1]!.end) doubles++;
  return doubles;
}

describe('workspace lock takeover', () => {
  it(`${RACERS} processes racing for a lock left by a killed process ${TRIALS} times: never two holders`, async () => {
    const template = await staleLockTemplate();
    const racers = Array.from({ length: RACERS }, () => new Contender());
    const root = tempDir();
    let badTrials = 0;
    let doubles = 0;
    const firstTakeoverUs: number[] = [];
    try {
      for (let trial = 0; trial < TRIALS; trial++) {
        const orchestratorDir = path.join(root, String(trial), '.orchestrator');
        cpSync(template, orchestratorDir, { recursive: true });
        const lock = path.join(orchestratorDir, 'repro.lock');
        const go = process.hrtime.bigint();
        for (const r of racers) r.send(`race ${lock}`);
        const answers = await Promise.all(racers.map((r) => r.next()));
        const holdings = answers.map((a) => ({ pid: Number(a.pid), start: BigInt(a.start as string), end: BigInt(a.end as string) }));
        const d = overlaps(holdings);
        doubles += d;
        if (d > 0) badTrials++;
        firstTakeoverUs.push(Number(holdings.reduce((m, h) => (h.start < m ? h.start : m), holdings[0]!.start) - go) / 1000);
        rmSync(path.join(root, String(trial)), { recursive: true, force: true });
      }
    } finally {
      await Promise.all(racers.map((r) => r.kill()));
    }
    firstTakeoverUs.sort((a, b) => a - b);
    const median = firstTakeoverUs[Math.floor(firstTakeoverUs.length / 2)]!;
    // Numbers for the record (not asserted: tests never assert on wall-clock time).
    console.log(`lock takeover: ${badTrials}/${TRIALS} trials had two holders (${doubles} overlaps); stale lock taken over after ${median.toFixed(0)} µs (median), ${firstTakeoverUs.at(-1)!.toFixed(0)} µs (max)`);
    expect({ badTrials, doubles }).toEqual({ badTrials: 0, doubles: 0 });
  });

  it('five real repro processes started at once on a lock left by a killed process run the stage one at a time', async () => {
    const template = await staleLockTemplate();
    for (let round = 0; round < 2; round++) {
      const p = createProject({
        'pipeline.yaml': yamlLines(
          'stages:',
          '  only:',
          // mkdir is atomic: it fails when another run of the stage is inside, and that is recorded.
          '    cmd: mkdir inside || echo $$ >> doubles; echo $$ >> ran; i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; rmdir inside',
          '    always_changed: true',
        ),
      });
      cpSync(template, p.abs('.orchestrator'), { recursive: true });
      const runs = Array.from({ length: RACERS }, () => p.start(['repro']));
      const results = await Promise.all(runs.map((r) => r.result));
      expect(results.map((r) => r.code), results.map((r) => r.stderr).join('\n')).toEqual(Array(RACERS).fill(0));
      expect(p.read('ran').trim().split('\n')).toHaveLength(RACERS);
      expect(p.exists('doubles')).toBe(false);
    }
  });

  it('honours a lock file of the previous version while its owner lives, and takes it over when it died', async () => {
    const p = createProject({ 'pipeline.yaml': yamlLines('stages:', '  s:', '    cmd: echo s > s.txt', '    outs: [s.txt]') });
    const alive = { pid: process.pid, start: processStartTime(process.pid), host: os.hostname(), since: '2026-01-01T00:00:00.000Z' };
    p.write('.orchestrator/repro.lock', JSON.stringify(alive));
    const busy = await p.run(['repro', '--no-wait']);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`another orchestrator (pid ${process.pid}, since 2026-01-01T00:00:00.000Z) is running in this workspace`);
    expect(p.exists('s.txt')).toBe(false);

    p.write('.orchestrator/repro.lock', JSON.stringify({ ...alive, pid: await deadPid() }));
    await p.runOk(['repro', '--no-wait']);
    expect(p.read('s.txt')).toBe('s\n');
  });

  it('takes over a lock whose owner is a zombie (and tidies a killed contender\'s file); never one held on another host', async () => {
    const dir = path.join(tempDir(), '.orchestrator');
    mkdirSync(dir);
    const lock = path.join(dir, 'repro.lock');
    // sleep 0 exits and stays a zombie: its parent execs into a sleep that never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 600'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const zombie = Number(await new Promise<string>((r) => parent.stdout.once('data', (d: Buffer) => r(d.toString()))));
    try {
      await waitFor(() => readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'), 'the child to become a zombie');
      const start = readFileSync(`/proc/${zombie}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
      writeFileSync(lock, JSON.stringify({ pid: zombie, start, host: os.hostname(), since: 'then' }));
      const leftover = `${lock}.tmp-${await deadPid()}-0123456789ab-0`; // a contender killed while trying
      writeFileSync(leftover, '{}');
      const c = new Contender();
      expect(await c.ask(`try ${lock}`)).toEqual({ ok: true });
      expect(existsSync(leftover)).toBe(false);

      rmSync(lock, { recursive: true });
      writeFileSync(lock, JSON.stringify({ pid: await deadPid(), host: 'another-host.example', since: 'then' }));
      expect(await c.ask(`try ${lock}`)).toEqual({ ok: false });
      await c.kill();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('a holder whose event loop is blocked keeps the lock until it releases it', async () => {
    const dir = tempDir();
    const lock = path.join(dir, 'repro.lock');
    const holder = new Contender();
    const other = new Contender();
    expect(await holder.ask(`block ${lock} ${path.join(dir, 'go')}`)).toEqual({ held: true });
    for (let i = 0; i < 3; i++) expect(await other.ask(`try ${lock}`)).toEqual({ ok: false });
    writeFileSync(path.join(dir, 'go'), '');
    expect(await holder.next()).toEqual({ released: true });
    expect(await other.ask(`try ${lock}`)).toEqual({ ok: true });
  });

  it('a lock that cannot be taken for an I/O reason is a plain error, exit 1', async () => {
    const p = createProject({ 'pipeline.yaml': yamlLines('stages:', '  s:', '    cmd: echo s > s.txt', '    outs: [s.txt]') });
    mkdirSync(p.abs('.orchestrator'), { recursive: true });
    symlinkSync('/nonexistent/orchestrator-lock', p.abs('.orchestrator/repro.lock'));
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`orchestrator: error: cannot take the workspace lock ${p.abs('.orchestrator/repro.lock')}: it is neither a lock folder nor an old lock file\n`);
    expect(p.exists('s.txt')).toBe(false);
  });
});

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((r) => child.on('exit', r));
  expect(isAlive(child.pid!)).toBe(false);
  return child.pid!;
}
