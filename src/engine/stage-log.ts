import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { stageFileName } from '../workspace/layout.js';

/** The on-disk log of one stage execution: `.orchestrator/logs/<stage>/<run id>.log`. */
export class StageLog {
  private constructor(
    readonly file: string,
    private readonly stream: WriteStream,
  ) {}

  static async open(logsDir: string, stage: string, runId: string): Promise<StageLog> {
    const dir = path.join(logsDir, stageFileName(stage));
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${runId}.log`);
    return new StageLog(file, createWriteStream(file, { flags: 'a' }));
  }

  line(text: string): void {
    this.stream.write(`${text}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
