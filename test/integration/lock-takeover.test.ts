/**
 * The workspace lock under contention. Small node processes (lock-contender.mjs) call the built lock
 * module and report when they held it; several of them race for a lock that a SIGKILLed process left
 * behind, 200 times, and no two may ever hold it at once. Then the same with real `repro` processes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, waitFor, yamlLines } from './harness.js';

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
});
