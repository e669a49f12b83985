import { open, stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter } from '../line-splitter.js';

/** How often the job's log is read for new output while it runs. */
const TAIL_MS = 250;

/**
 * Follows a job's log file (written by slurmstepd on the node, read here through the shared
 * filesystem) from its start, delivering whole lines. Polling, not inotify: inotify sees nothing
 * of writes made on another NFS client.
 */
export class LogTail {
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private readonly decoder = new StringDecoder('utf8');
  private readonly lines: LineSplitter;

  constructor(
    private readonly file: string,
    onLine: (line: string) => void,
  ) {
    this.lines = new LineSplitter(onLine);
  }

  start(): void {
    this.timer = setInterval(() => (this.reading = this.reading.then(() => this.readNew()).then(() => undefined)), TAIL_MS);
  }

  /** Reads what is left and flushes a last unterminated line. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.reading;
    while (await this.readNew());
    this.lines.push(this.decoder.end());
    this.lines.flush();
  }

  /** True if it read something. */
  private async readNew(): Promise<boolean> {
    try {
      const { size } = await stat(this.file);
      if (size <= this.offset) return false;
      const handle = await open(this.file, 'r');
      try {
        const buffer = Buffer.alloc(Math.min(size - this.offset, 4 * 1024 * 1024));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        this.offset += bytesRead;
        this.lines.push(this.decoder.write(buffer.subarray(0, bytesRead)));
        return bytesRead > 0;
      } finally {
        await handle.close();
      }
    } catch {
      // Not there yet (the job has not started), or gone: nothing to read now.
      return false;
    }
  }
}
