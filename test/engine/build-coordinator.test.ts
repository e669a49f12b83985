import { describe, expect, it } from 'vitest';
import { BuildCoordinator } from '../../src/engine/repro.js';

describe('BuildCoordinator', () => {
  it('lets the first claimer build; later claimers wait for it and are told to plan again', async () => {
    const c = new BuildCoordinator();
    const first = await c.claim('k');
    expect(first).not.toBe('retry');
    let secondDone = false;
    const second = c.claim('k').then((r) => {
      secondDone = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    expect(secondDone).toBe(false);
    (first as { release: () => void }).release();
    expect(await second).toBe('retry');
    // Once released, the key is free again; other keys never wait.
    expect(await c.claim('k')).not.toBe('retry');
    expect(await c.claim('other')).not.toBe('retry');
  });
});
