// Compiles native/spawn.c into dist/native/orchestrator-spawn (run by `npm run build`). The helper is
// optional: without a C compiler, local stages run through the portable shell runner instead, and
// this says so without failing the build.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';

const out = 'dist/native/orchestrator-spawn';
rmSync(out, { force: true });
mkdirSync('dist/native', { recursive: true });
const cc = process.env.CC || 'cc';
const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-o', out, 'native/spawn.c'], { stdio: ['ignore', 'inherit', 'inherit'] });
if (r.status !== 0) {
  rmSync(out, { force: true });
  const why = r.error ? r.error.message : `${cc} exited with ${r.status}`;
  console.warn(`orchestrator: native process helper not built (${why}); local stages will use the shell runner`);
}
