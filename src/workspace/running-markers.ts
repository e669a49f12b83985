import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { RunningMarker } from '../exec/executor.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { stageFileName } from './layout.js';

/** Running markers: one file per stage in flight, so a crash can be noticed and cleaned up later. */
export class RunningMarkers {
  private dirReady: Promise<unknown> | undefined;

  constructor(private readonly dir: string) {}

  async write(marker: RunningMarker): Promise<void> {
    await (this.dirReady ??= mkdir(this.dir, { recursive: true }));
    await writeFileAtomic(this.file(marker.stage), `${JSON.stringify(marker, null, 2)}\n`, { durable: false });
  }

  async remove(stage: string): Promise<void> {
    await rm(this.file(stage), { force: true });
  }

  async list(): Promise<RunningMarker[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const markers: RunningMarker[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      try {
        const m = JSON.parse(await readFile(path.join(this.dir, name), 'utf8')) as RunningMarker;
        if (typeof m.stage === 'string' && typeof m.pid === 'number') markers.push(m);
      } catch {
        // A marker is written atomically, so an unreadable one is foreign: ignore it.
      }
    }
    return markers;
  }

  private file(stage: string): string {
    return path.join(this.dir, `${stageFileName(stage)}.json`);
  }
}
