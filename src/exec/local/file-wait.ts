import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/** The safety net behind the directory watch (a missed event, a filesystem without inotify). */
const SAFETY_POLL_MS = 2000;

/**
 * Resolves once `written()` says `file` holds what is awaited, or once `alive()` says whatever would
 * write it is gone. Woken by events on the file's directory; a slow poll covers missed events and
 * checks `alive()`.
 */
export function waitForFile(file: string, written: () => boolean, alive: () => boolean, pollMs = SAFETY_POLL_MS): { done: Promise<void>; close: () => void } {
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const close = () => {
    watcher?.close();
    if (timer) clearInterval(timer);
    finish();
  };
  const check = (pollAlive: boolean) => {
    if (written() || (pollAlive && !alive())) close();
  };
  try {
    watcher = watch(path.dirname(file), (_event, name) => {
      if (name === null || name === path.basename(file)) check(false);
    });
    watcher.on('error', () => undefined);
  } catch {
    // No directory to watch: the poll alone.
  }
  timer = setInterval(() => check(true), pollMs);
  check(true);
  return { done, close };
}
