// Bundles the CLI into dist/bundle/ (run after tsc). Start-up time is dominated by resolving and
// compiling a few hundred ESM files (zod, yaml, commander, ours); one bundle per entry cuts a small
// `orchestrator status` from ~0.16 s to ~0.10 s. Code splitting keeps dynamic imports (commands,
// dockerode's client) lazy. dist/ itself stays unbundled for the tests and benchmarks that import modules.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: without this, every build leaves the previous chunks behind.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['dist/cli/main.js'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  // Resolved from node_modules at run time: its optional native ssh2 bindings cannot be bundled.
  external: ['dockerode'],
  // CommonJS dependencies (commander) call require(); give every chunk one.
  banner: { js: "import { createRequire as __orchestratorCreateRequire } from 'node:module'; const require = __orchestratorCreateRequire(import.meta.url);" },
});
