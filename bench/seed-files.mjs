// The 20,000-file workload bench/cli.mjs and bench/ab.mjs share: `nFiles` files of `sizeKB` KB in
// folders of 200, each a different slice of one random block (distinct contents, cheap to make).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function createSeedFiles(dir, nFiles, sizeKB) {
  process.stdout.write(`creating ${nFiles} files x ${sizeKB} KB ... `);
  const block = randomBytes(sizeKB * 1024 + nFiles);
  for (let i = 0; i < nFiles; i++) {
    const sub = path.join(dir, `d${String(Math.floor(i / 200)).padStart(3, '0')}`);
    if (i % 200 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `f${i}.bin`), block.subarray(i, i + sizeKB * 1024));
  }
  console.log('done');
}
