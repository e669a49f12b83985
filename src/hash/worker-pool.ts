import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ContentHash } from './hash-file.js';
import { HASH_WORKER_SOURCE } from './hash-worker-source.js';

export type BatchResult = ContentHash | { error: string; code?: string };

interface Job {
  id: number;
  paths: string[];
  resolve: (r: BatchResult[]) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

/**
 * Fixed-size pool of hashing threads. A batch goes to whichever worker is idle, so a few large
 * files do not leave other cores waiting. Workers are unref'd while idle so a pool that the caller
 * forgot to close never keeps the process alive, yet a pending batch does.
 */
export class HashWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(readonly size = availableParallelism()) {
    for (let i = 0; i < Math.max(1, size); i++) this.slots.push(this.spawn());
  }

  hashBatch(paths: string[]): Promise<BatchResult[]> {
    if (this.closed) return Promise.reject(new Error('HashWorkerPool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, paths, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const err = new Error('HashWorkerPool closed');
    for (const job of this.queue.splice(0)) job.reject(err);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(HASH_WORKER_SOURCE, { eval: true });
    const slot: Slot = { worker, job: undefined };
    worker.unref();
    worker.on('message', (msg: { id: number; results: BatchResult[] }) => {
      const job = slot.job;
      slot.job = undefined;
      worker.unref();
      if (job && job.id === msg.id) job.resolve(msg.results);
      this.dispatch();
    });
    worker.on('error', (err) => this.replace(slot, err));
    worker.on('exit', (code) => {
      if (!this.closed) this.replace(slot, new Error(`hash worker exited with code ${code}`));
    });
    return slot;
  }

  /** A crashed worker fails only its own batch; the pool keeps its size. */
  private replace(slot: Slot, err: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    slot.job?.reject(err);
    slot.job = undefined;
    void slot.worker.terminate();
    if (this.closed) return;
    this.slots[i] = this.spawn();
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job) continue;
      const job = this.queue.shift() as Job;
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage({ id: job.id, paths: job.paths });
    }
  }
}
