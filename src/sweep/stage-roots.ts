import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { StageRoots } from '../engine/repro.js';
import type { Workspace } from '../engine/workspace.js';
import type { Stage } from '../model/stage.js';
import { stageFileName } from '../workspace/layout.js';
import { checkedWritePath } from '../workspace/safe-path.js';
import { syncInputs, walk } from './inputs.js';

/** `.orchestrator/stage-roots/`: the canonical directories of `absolute_paths` stages. */
export function stageRootsDir(mainRoot: string): string {
  return path.join(mainRoot, '.orchestrator', 'stage-roots');
}

/**
 * Canonical roots under the main workspace: `<stage>-<first 16 hex of the path-free fingerprint>`.
 * Before the stage runs there, the directory gets the variant's files (linked, as a variant gets the
 * main workspace's), the stage's own stale outputs removed; files linked by an earlier run that the
 * variant no longer has are removed. Directories stay after the run: the outputs name them.
 */
export function sweepStageRoots(mainRoot: string): StageRoots {
  return {
    rootFor: (stage, key) => path.join(stageRootsDir(mainRoot), `${stageFileName(stage.name)}-${key.slice(0, 16)}`),
    prepare: async (ws: Workspace, stage: Stage, root: string) => {
      const outs = stage.outs.map((o) => o.path);
      const isOutput = (f: string) => outs.some((o) => f === o || f.startsWith(`${o}/`));
      const files = (await walk(ws.root, '')).filter((f) => !isOutput(f));
      await syncInputs(ws.root, root, files);
      for (const out of stage.outs) if (!out.persist) await rm(checkedWritePath(root, out.path), { recursive: true, force: true });
    },
  };
}
