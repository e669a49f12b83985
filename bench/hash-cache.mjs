// Hash/cache benchmark against dist/ (run `npm run build` first). Prints numbers, asserts nothing.
//   node bench/hash-cache.mjs [--files 20000] [--size 100] [--big-mb 1024]
import { randomBytes } from 'node:crypto';
import { promises as fsp, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { execSync } from 'node:child_process';

// Flush dirty pages between phases so one phase's writeback is not billed to the next.
const settle = () => execSync('sync');

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const { Hasher } = await import(path.join(repo, 'dist/hash/hasher.js'));
const { StatCache } = await import(path.join(repo, 'dist/hash/stat-cache.js'));
const { hashFile } = await import(path.join(repo, 'dist/hash/hash-file.js'));
const { ObjectStore } = await import(path.join(repo, 'dist/cache/object-store.js'));

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const nFiles = arg('files', 20000);
const sizeKB = arg('size', 100);
const bigMB = arg('big-mb', 1024);
const perDir = 200;

// Same filesystem as a real workspace: under the repo's git-ignored .orchestrator/.
const base = path.join(repo, '.orchestrator', 'bench-tmp', `run-${process.pid}`);
const ws = path.join(base, 'ws');
const outRel = 'build/out';
const outAbs = path.join(ws, outRel);
const cacheDir = path.join(ws, '.orchestrator', 'cache');
const statFile = StatCache.defaultPath(ws);

const rows = [];
const row = (what, value, unit, target) => rows.push({ what, value, unit, target });
const time = async (fn) => {
  const t = process.hrtime.bigint();
  const r = await fn();
  return { s: Number(process.hrtime.bigint() - t) / 1e9, r };
};

try {
  process.stdout.write(`creating ${nFiles} files x ${sizeKB} KB ... `);
  const block = randomBytes(sizeKB * 1024 + nFiles); // distinct content per file from one random block
  for (let i = 0; i < nFiles; i++) {
    const dir = path.join(outAbs, `d${String(Math.floor(i / perDir)).padStart(3, '0')}`);
    if (i % perDir === 0) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `f${i}.bin`), block.subarray(i, i + sizeKB * 1024));
  }
  const totalGB = (nFiles * sizeKB * 1024) / 1e9;
  settle();
  console.log('done');

  // 1. first hash: cold stat cache, all cores.
  {
    const sc = await StatCache.load(statFile);
    const h = new Hasher({ root: ws, statCache: sc });
    const { s, r } = await time(() => h.hashPath(outRel));
    await sc.save();
    await h.close();
    row('first hash (cold stat cache)', (totalGB / s).toFixed(2), `GB/s (${s.toFixed(2)} s, ${r.nfiles} files)`, '>= 1 GB/s');
  }
  // 2. no-op re-hash with a fresh Hasher, stat cache loaded from disk.
  {
    const { s } = await time(async () => {
      const sc = await StatCache.load(statFile);
      const h = new Hasher({ root: ws, statCache: sc });
      const r = await h.hashPath(outRel);
      await sc.save();
      await h.close();
      return r;
    });
    row('no-op re-hash (load stat cache + walk)', s.toFixed(3), 's', '<= 0.2 s');
  }
  // 3. commit to cache.
  const sc = await StatCache.load(statFile);
  const hasher = new Hasher({ root: ws, statCache: sc });
  const ph = await hasher.hashPath(outRel);
  const store = new ObjectStore(cacheDir);
  settle();
  {
    const { s } = await time(() => store.commit(outAbs, ph));
    row('commit to cache', s.toFixed(2), 's', '< 10 s');
  }
  // 4. restore after deleting, default link types.
  {
    await fsp.rm(outAbs, { recursive: true, force: true });
    settle();
    const { s, r } = await time(() => store.restore(ph.hash, outAbs));
    row('restore (default link types)', s.toFixed(2), `s (${r.length} files)`, '<= 2 s');
    const { s: s2 } = await time(() => hasher.recordKnownUnder(outRel, r));
    row('  record restored files in stat cache', s2.toFixed(3), 's', '');
  }
  {
    await fsp.rm(outAbs, { recursive: true, force: true });
    settle();
    const { s } = await time(() => store.restore(ph.hash, outAbs, { linkTypes: ['hardlink'] }));
    row('restore (hardlink, read-only files)', s.toFixed(2), 's', '');
  }
  {
    settle();
    const { s } = await time(() => store.restore(ph.hash, outAbs));
    row('restore over existing dir (default)', s.toFixed(2), 's', '');
  }
  {
    // A rerun that produced the same bytes (or `repro -f`): every object already exists.
    settle();
    const { s } = await time(() => store.commit(outAbs, ph));
    row('re-commit (objects already present)', s.toFixed(2), 's', '');
  }
  {
    settle();
    const mb = Math.round((nFiles * sizeKB) / 1024);
    const { s } = await time(() => execSync(`dd if=/dev/zero of=${path.join(base, 'dd.bin')} bs=1M count=${mb} conv=fsync 2>/dev/null`));
    row('  reference: dd write of the same bytes + fsync', ((nFiles * sizeKB * 1024) / 1e9 / s).toFixed(2), 'GB/s', '');
    await fsp.rm(path.join(base, 'dd.bin'), { force: true });
  }
  await hasher.close();
  await fsp.rm(path.join(ws, 'build'), { recursive: true, force: true });

  // 5. one big file in page cache.
  if (bigMB > 0) {
    const big = path.join(base, 'big.bin');
    const chunk = randomBytes(64 << 20);
    const fh = await fsp.open(big, 'w');
    for (let i = 0; i < bigMB / 64; i++) await fh.write(chunk);
    await fh.close();
    await hashFile(big); // warm the page cache
    let best = Infinity;
    for (let i = 0; i < 3; i++) best = Math.min(best, (await time(() => hashFile(big))).s);
    row(`${bigMB} MB file hashFile (best of 3)`, ((bigMB * 1048576) / 1e9 / best).toFixed(2), 'GB/s', '>= 1.4 GB/s');
  }
} finally {
  rmSync(base, { recursive: true, force: true });
}

console.log(`\nnode ${process.version}, ${availableParallelism()} cores, ${nFiles} x ${sizeKB} KB\n`);
const w = Math.max(...rows.map((r) => r.what.length));
for (const r of rows) console.log(`${r.what.padEnd(w)}  ${String(r.value).padStart(8)} ${r.unit.padEnd(28)} ${r.target}`);
