/** A running watch on some paths. */
export interface FileWatch {
  close(): Promise<void>;
}

/** Watches `paths` (relative to `root`) and reports each changed path, POSIX, relative to `root`. */
export type WatchFiles = (root: string, paths: readonly string[], onChange: (path: string) => void) => Promise<FileWatch>;

/** The real file watching (chokidar, imported lazily); resolves once the initial scan is done. */
export const chokidarWatchFiles: WatchFiles = async (root, paths, onChange) => {
  const { watch } = await import('chokidar');
  const watcher = watch([...paths], { cwd: root, ignoreInitial: true });
  watcher.on('all', (_event, changed) => onChange(changed.split('\\').join('/')));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return { close: () => watcher.close() };
};
