import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../integration/harness.js';

/** The FINN-T "Model Scaling" study example (three grids, stand-in build) that several tests run. */
export const MODEL_SCALING_EXAMPLE = path.join(REPO_ROOT, 'examples', 'model-scaling');

/** The example's files as `{relative path: text}`, without anything a run leaves behind. */
export function exampleFiles(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(path.join(dir, rel))) {
    const r = rel === '' ? name : `${rel}/${name}`;
    if (name === '.orchestrator' || name === 'build' || name === 'pipeline.lock') continue;
    if (statSync(path.join(dir, r)).isDirectory()) Object.assign(out, exampleFiles(dir, r));
    else out[r] = readFileSync(path.join(dir, r), 'utf8');
  }
  return out;
}
