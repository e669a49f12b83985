// `orchestrator inspect` on a 500 MB model: time and peak RSS (the initializer payload is skipped,
// never read). The model is written sparsely by onnx-writer.mjs (a hole of zeros as raw_data).
// usage: npm run build && node bench/inspect-onnx.mjs [--mb 500] [--runs 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLargeModel } from './onnx-writer.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
const mb = arg('mb', 500);
const runs = arg('runs', 3);
const dir = mkdtempSync(path.join(tmpdir(), 'orch-bench-onnx-'));
try {
  const file = path.join(dir, 'big.onnx');
  const cols = 1024;
  const rows = Math.ceil((mb * 2 ** 20) / (cols * 4));
  const size = writeLargeModel(file, rows, cols);
  // The CLI in-process, reporting its own peak RSS (ru_maxrss) when done.
  const script = `const t=process.hrtime.bigint();const m=await import(${JSON.stringify(path.join(repo, 'dist/cli/main.js'))});const chunks=[];const io={out:(s)=>chunks.push(s),err:(s)=>process.stderr.write(s),isTTY:false};const code=await m.main(['inspect',${JSON.stringify(file)},'--json'],io);const s=JSON.parse(chunks.join(''));console.log(JSON.stringify({code,ms:Number(process.hrtime.bigint()-t)/1e6,maxRssMb:process.resourceUsage().maxRSS/1024,carrier:s.weightTotals.carrierBytes,bytes:s.weightTotals.bytes}));`;
  console.log(`model: ${(size / 2 ** 20).toFixed(1)} MiB, one initializer [${rows}, ${cols}] float32 annotated INT2`);
  for (let i = 0; i < runs; i++) {
    const r = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    console.log(`run ${i + 1}: exit ${r.code}, ${r.ms.toFixed(0)} ms (process start to summary), peak RSS ${r.maxRssMb.toFixed(1)} MB; weights ${(r.carrier / 2 ** 20).toFixed(1)} MiB stored, ${(r.bytes / 2 ** 20).toFixed(1)} MiB at INT2`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
