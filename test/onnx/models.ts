import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Debian's python (ENVIRONMENT.md: the pyenv python3 on PATH cannot import onnx). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/**
 * Writes the test models of make_models.py into `dir` (qonnx.onnx, finn.onnx, hw.onnx,
 * specialized/model.onnx + supported_op_partitions/partition_0.onnx + report/*.json). Throws (so
 * the test fails, never skips) when python3-onnx is missing: .ci/setup.sh installs it.
 */
export function makeModels(dir: string, folding: { pe?: number; simd?: number; memMode?: string } = {}): void {
  const args = [path.join(HERE, 'make_models.py'), dir];
  if (folding.pe !== undefined) args.push('--pe', String(folding.pe));
  if (folding.simd !== undefined) args.push('--simd', String(folding.simd));
  if (folding.memMode !== undefined) args.push('--mem-mode', folding.memMode);
  execFileSync(DEBIAN_PYTHON, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
