import type { ProgressSink } from '../cache/remote/transfer.js';
import { formatBytes } from './bytes.js';

/**
 * Progress of a push or fetch on stderr (stdout stays free for --json): on a terminal one line
 * rewritten in place (objects, bytes, rate); elsewhere (CI logs) a plain line at most every 2 s and
 * one at the end.
 */
export function transferProgress(write: (text: string) => void, isTTY: boolean): ProgressSink {
  let verb = '';
  let total = 0;
  let totalBytes = 0;
  let done = 0;
  let bytes = 0;
  let started = 0;
  let lastLine = 0;
  const line = (): string => {
    const secs = Math.max((Date.now() - started) / 1000, 0.001);
    return `${verb}: ${done}/${total} objects, ${formatBytes(bytes)}${totalBytes ? ` of ${formatBytes(totalBytes)}` : ''}, ${formatBytes(Math.round(bytes / secs))}/s`;
  };
  return {
    start(v, objects, b) {
      verb = v;
      total = objects;
      totalBytes = b;
      started = lastLine = Date.now();
    },
    object(b) {
      done++;
      bytes += b;
      const now = Date.now();
      if (isTTY && now - lastLine >= 100) {
        write(`\r${line()}\x1b[K`);
        lastLine = now;
      } else if (!isTTY && now - lastLine >= 2000) {
        write(`${line()}\n`);
        lastLine = now;
      }
    },
    end() {
      if (total === 0) return;
      write(isTTY ? `\r${line()}\x1b[K\n` : `${line()}\n`);
    },
  };
}
