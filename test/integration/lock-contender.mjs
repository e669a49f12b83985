// A contender for the workspace lock, driven line by line over stdin by lock-takeover.test.ts. It
// imports the lock module from the built dist (or from ORCHESTRATOR_LOCK_MODULE, to measure another
// build) and answers each command with one JSON line on stdout:
//   race PATH         take the lock (retrying at once while another holds it), hold it briefly,
//                     release it; answers {start, end} on the shared monotonic clock
//   hold PATH         take the lock and keep it; answers {held: true} (the test then kills us)
//   block PATH FILE   take the lock, then block the event loop until FILE exists, then release
//   try PATH          one attempt without waiting; answers {ok} and releases at once when it won
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modulePath = process.env.ORCHESTRATOR_LOCK_MODULE ?? path.join(here, '../../dist/workspace/repro-lock.js');
const { acquireReproLock } = await import(pathToFileURL(modulePath).href);

const tick = () => new Promise((r) => setImmediate(r));
const answer = (doc) => process.stdout.write(`${JSON.stringify(doc)}\n`);

async function take(file) {
  for (let attempts = 1; ; attempts++) {
    const r = await acquireReproLock(file, { wait: false });
    if (r.ok) return { release: r.release, attempts };
    await tick();
  }
}

const commands = createInterface({ input: process.stdin });
// The test is gone (or done): stop at once, even in the middle of a race.
commands.on('close', () => process.exit(0));
for await (const line of commands) {
  const [command, file, extra] = line.split(' ');
  try {
    if (command === 'race') {
      const { release, attempts } = await take(file);
      const start = process.hrtime.bigint();
      // Long enough for a second holder to show up: a few turns of the event loop.
      for (let i = 0; i < 5; i++) await tick();
      const end = process.hrtime.bigint();
      await release();
      answer({ pid: process.pid, start: String(start), end: String(end), attempts });
    } else if (command === 'hold') {
      await take(file);
      answer({ held: true });
    } else if (command === 'block') {
      const { release } = await take(file);
      answer({ held: true });
      while (!existsSync(extra)) {
        // busy, as a process hashing a large output is: no timers, no I/O callbacks run
      }
      await release();
      answer({ released: true });
    } else if (command === 'try') {
      const r = await acquireReproLock(file, { wait: false });
      if (r.ok) await r.release();
      answer({ ok: r.ok });
    }
  } catch (e) {
    answer({ error: String(e?.stack ?? e) });
  }
}
