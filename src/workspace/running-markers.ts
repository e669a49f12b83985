import { mkdirSync, rmSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunningMarker } from '../exec/executor.js';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { stageFileName } from './layout.js';

/**
 * Running markers: one file per stage in flight, so a crash can be noticed and cleaned up later.
 * Written and removed synchronously: they are tiny, and they sit on every stage's critical path.
 */
export class RunningMarkers {
  private dirReady = false;

  constructor(private readonly dir: string) {}

  write(marker: RunningMarker): void {
    if (!this.dirReady) {
      mkdirSync(this.dir, { recursive: true });
      this.dirReady = true;
    }
    writeFileAtomicSync(this.file(marker.stage), `${JSON.stringify(marker, null, 2)}\n`, { durable: false });
  }

  remove(stage: string): void {
    rmSync(this.file(stage), { force: true });
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
