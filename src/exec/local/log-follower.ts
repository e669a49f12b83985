import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from '../line-splitter.js';

/** How often a running command's new output is read (progress line, `-v`). */
const POLL_MS = 100;
const CHUNK = 256 * 1024;
/** Reads are synchronous and decoded at once, so every follower can share one buffer. */
let shared: Buffer | undefined;

/**
 * Delivers, as whole lines, what a command appends to its log file from now on. The command writes
 * the file directly (no pipe through this process), so a short command costs one empty read at the
 * end, and a chatty one is read in large chunks a few times a second.
 */
export class LogFollower {
  private fd: number | undefined;
  private offset = 0;
  private readonly decoder = new StringDecoder('utf8');
  private readonly lines: LineSplitter;
  private readonly timer: NodeJS.Timeout | undefined;

  /** `from`: the offset to start at (default: the end, after the log's header); `poll: false` reads only when asked. */
  constructor(file: string, onLine: (line: string) => void, opts: { from?: number; poll?: boolean } = {}) {
    this.lines = new LineSplitter(onLine);
    try {
      this.fd = openSync(file, 'r');
      this.offset = opts.from ?? fstatSync(this.fd).size;
    } catch {
      this.fd = undefined;
    }
    if (opts.poll !== false) {
      this.timer = setInterval(() => this.poll(), POLL_MS);
      this.timer.unref();
    }
  }

  /** Reads everything appended since the last call. */
  poll(): void {
    while (this.read() > 0);
  }

  /** Reads everything appended so far and delivers an unterminated last line too (a command ended). */
  flushLine(): void {
    this.poll();
    this.lines.flush();
  }

  /** Reads what is left, delivers a last unterminated line, and stops. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.fd === undefined) return;
    this.poll();
    this.lines.push(this.decoder.end());
    this.lines.flush();
    closeSync(this.fd);
    // Never read a closed descriptor: its number may already belong to another file.
    this.fd = undefined;
  }

  private read(): number {
    if (this.fd === undefined) return 0;
    const buffer = (shared ??= Buffer.allocUnsafe(CHUNK));
    let n = 0;
    try {
      n = readSync(this.fd, buffer, 0, CHUNK, this.offset);
    } catch {
      return 0;
    }
    this.offset += n;
    if (n > 0) this.lines.push(this.decoder.write(buffer.subarray(0, n)));
    return n;
  }
}
