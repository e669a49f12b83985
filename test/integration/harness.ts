/**
 * Integration-test harness: builds throw-away project directories and runs the real, built CLI
 * (`node bin/orchestrator.js -C <dir> ...`) against them.
 *
 * - `createProject({ 'pipeline.yaml': '...', 'in.txt': 'hello\n' })` writes the tree into a fresh
 *   directory under os.tmpdir(); `cleanupProjects()` (call it from `afterEach`) removes them all.
 * - `p.run(['repro'])` spawns the CLI and resolves with `{ code, stdout, stderr }`; it never throws
 *   on a non-zero exit.
 * - Stage commands count their own executions by appending a line to `.runs/<stage>`:
 *   `cmd: ${tick('train')} && python train.py`; `p.runs('train')` is the number of lines.
 *
 * Environment knobs:
 * - `ORCHESTRATOR_IT_BIN`: path of the CLI entry script to run instead of `<repo>/bin/orchestrator.js`.
 * - `ORCHESTRATOR_IT_KEEP=1`: keep the temp directories (their paths are printed) for debugging.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = process.env.ORCHESTRATOR_IT_BIN ? path.resolve(process.env.ORCHESTRATOR_IT_BIN) : path.join(REPO_ROOT, 'bin', 'orchestrator.js');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout with the `HH:MM:SS ` timestamps of non-TTY repro output removed. */
  lines: string[];
}

export interface RunOptions {
  /** Extra environment variables for the CLI (and so for the stage commands). */
  env?: Record<string, string | undefined>;
  /** Working directory of the CLI process; defaults to a neutral directory so `-C` is what counts. */
  cwd?: string;
  /** Do not pass `-C <dir>`. */
  noChdirFlag?: boolean;
  /** Kill the CLI after this many ms (a safety net, not synchronization). */
  timeoutMs?: number;
}

const created: string[] = [];

/**
 * `echo x >> .runs/<stage>`: prefix a stage command with it to count how often the command ran.
 * The path is relative to the stage's cwd; pass `toRoot` (e.g. `..`) for stages with a `wdir`.
 */
export function tick(stage: string, toRoot = '.'): string {
  return `echo x >> ${toRoot}/.runs/${stage}`;
}

export class Project {
  constructor(readonly dir: string) {}

  /** Absolute path of a project-relative path. */
  abs(rel: string): string {
    return path.join(this.dir, rel);
  }

  /**
   * Writes a file (creating parent directories). Goes through a temp file + rename so the new file
   * always gets a fresh inode: a content change is then visible to any stat-based cache regardless
   * of the file system's timestamp granularity.
   */
  write(rel: string, content: string): void {
    const abs = this.abs(rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    const tmp = `${abs}.it-tmp-${process.pid}`;
    writeFileSync(tmp, content);
    renameSync(tmp, abs);
  }

  read(rel: string): string {
    return readFileSync(this.abs(rel), 'utf8');
  }

  readOrUndefined(rel: string): string | undefined {
    return existsSync(this.abs(rel)) ? this.read(rel) : undefined;
  }

  exists(rel: string): boolean {
    try {
      lstatSync(this.abs(rel));
      return true;
    } catch {
      return false;
    }
  }

  remove(rel: string): void {
    rmSync(this.abs(rel), { recursive: true, force: true });
  }

  symlink(target: string, rel: string): void {
    mkdirSync(path.dirname(this.abs(rel)), { recursive: true });
    symlinkSync(target, this.abs(rel));
  }

  /** Relative paths of every file under `rel` (recursively), sorted. */
  listFiles(rel = '.'): string[] {
    const base = this.abs(rel);
    if (!existsSync(base)) return [];
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const abs = path.join(dir, e.name);
        if (e.isDirectory()) walk(abs);
        else out.push(path.relative(base, abs).split(path.sep).join('/'));
      }
    };
    walk(base);
    return out.sort();
  }

  /** Raw bytes of pipeline.lock, or undefined when there is none. */
  lockText(): string | undefined {
    return this.readOrUndefined('pipeline.lock');
  }

  /** pipeline.lock parsed as YAML (throws if missing). */
  lock(): LockDoc {
    const text = this.lockText();
    if (text === undefined) throw new Error(`no pipeline.lock in ${this.dir}`);
    return parseYaml(text) as LockDoc;
  }

  /** How often the command of `stage` ran (lines in `.runs/<stage>`). */
  runs(stage: string): number {
    const text = this.readOrUndefined(`.runs/${stage}`);
    return text === undefined ? 0 : text.split('\n').filter((l) => l !== '').length;
  }

  /** Counters for several stages at once: `{a: 1, b: 0}`. */
  counts(...stages: string[]): Record<string, number> {
    return Object.fromEntries(stages.map((s) => [s, this.runs(s)]));
  }

  /** Runs the CLI with `-C <dir>` and the given arguments. */
  run(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return runCli(opts.noChdirFlag ? args : ['-C', this.dir, ...args], opts);
  }

  /** Starts the CLI in the background; see `startCli`. */
  start(args: string[], opts: RunOptions = {}): Background {
    return startCli(opts.noChdirFlag ? args : ['-C', this.dir, ...args], opts);
  }

  /** `run`, but fails the test with the CLI's output when the exit code is not `expected`. */
  async runOk(args: string[], expected = 0, opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.run(args, opts);
    if (r.code !== expected) {
      throw new Error(`orchestrator ${args.join(' ')} exited ${r.code} (signal ${r.signal}), expected ${expected}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    }
    return r;
  }
}

export interface LockedPathDoc {
  path: string;
  hash: string;
  size: number;
  nfiles?: number;
  isexec?: boolean;
}
export interface LockEntryDoc {
  cmd: string | string[];
  wdir?: string;
  deps?: LockedPathDoc[];
  params?: Record<string, Record<string, unknown>>;
  outs?: LockedPathDoc[];
}
export interface LockDoc {
  schema: number;
  stages: Record<string, LockEntryDoc>;
}

/** Makes a temp project from a file tree (`{relative path: content}`); `.runs/` always exists. */
export function createProject(files: Record<string, string> = {}): Project {
  // realpath: on systems where the temp dir is a symlink, paths the CLI reports stay comparable.
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'orchestrator-it-')));
  created.push(dir);
  const p = new Project(dir);
  mkdirSync(p.abs('.runs'), { recursive: true });
  for (const [rel, content] of Object.entries(files)) p.write(rel, content);
  return p;
}

/** Removes every project created so far; use as `afterEach(cleanupProjects)`. */
export function cleanupProjects(): void {
  for (const dir of created.splice(0)) {
    if (process.env.ORCHESTRATOR_IT_KEEP) {
      console.log(`kept ${dir}`);
      continue;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A CLI process running in the background. */
export interface Background {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited. */
  result: Promise<RunResult>;
}

/** Spawns `node <CLI> ...args` and collects exit code and output. */
export function runCli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return startCli(args, opts).result;
}

/**
 * Polls `condition` (a file the test controls appearing, output the CLI printed) every 20 ms.
 * This waits for an observable event; it is not a sleep that hopes the other side is ready.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * True when a process with this pid exists and is not a zombie. (In containers PID 1 often does not
 * reap orphans, so a killed orphan can linger as a zombie: it is dead for every purpose here.)
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** Spawns `node <CLI> ...args` in the background. */
export function startCli(args: string[], opts: RunOptions = {}): Background {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    // A developer's debug setting must not change what tests see (stack traces, colors).
    if (k === 'ORCHESTRATOR_DEBUG' || k === 'FORCE_COLOR') continue;
    env[k] = v;
  }
  env.NO_COLOR = '1';
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? os.tmpdir(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const result = new Promise<RunResult>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 50_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, lines: outputLines(stdout) });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, result };
}

/** Splits output into lines, dropping the `HH:MM:SS ` prefix repro adds when not on a terminal. */
export function outputLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace(/^\d\d:\d\d:\d\d /, ''));
}

/** Lines of a result that talk about `stage` (`stage: ...`). */
export function stageLines(r: RunResult, stage: string): string[] {
  return r.lines.filter((l) => l.startsWith(`${stage}: `));
}

/** Everything the CLI printed, for "mentions X" assertions. */
export function allOutput(r: RunResult): string {
  return `${r.stdout}\n${r.stderr}`;
}

/** A pipeline.yaml-style YAML text from lines (keeps the test's line numbers obvious). */
export function yamlLines(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** Matches a stack-trace frame line such as `    at foo (file.js:1:2)`. */
export const STACK_FRAME = /^\s+at .+/m;
