import { BuildCoordinator } from '../engine/repro.js';

/**
 * The sweep's BuildCoordinator: a fingerprint two variants need is built once (the base class), and
 * at most `slots` builds run at once across all variants. The slot is taken only when a stage is
 * about to execute — after planning and after waiting for a twin build — so a variant waiting for
 * another's identical stage, or restoring from the cache, never keeps a job slot idle (the
 * scheduler itself runs with room for every node; `-j` is enforced here).
 */
export class ExecutionSlots extends BuildCoordinator {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly slots: number,
    signal: AbortSignal,
  ) {
    super();
    // Once interrupted, waiters go ahead: the engine sees the abort and cancels them before they run.
    signal.addEventListener('abort', () => this.waiting.splice(0).forEach((go) => go()), { once: true });
    this.aborted = () => signal.aborted;
  }

  private readonly aborted: () => boolean;

  override async claim(key: string): Promise<{ release: () => void } | 'retry'> {
    const claimed = await super.claim(key);
    if (claimed === 'retry') return claimed;
    await this.acquire();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        claimed.release();
        this.running--;
        this.waiting.shift()?.();
      },
    };
  }

  private async acquire(): Promise<void> {
    if (this.running < this.slots || this.aborted()) {
      this.running++;
      return;
    }
    await new Promise<void>((go) => this.waiting.push(go));
    this.running++;
  }
}
