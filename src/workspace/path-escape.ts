import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { Stage } from '../model/stage.js';

/**
 * Deps and outs must stay inside the workspace after resolving symlinks: a link pointing outside
 * would let a stage write (or the cache restore) into places the user never declared.
 */
export function findSymlinkEscapes(root: string, stages: readonly Stage[]): Diagnostic[] {
  const realRoot = realpathSync(root);
  const diagnostics: Diagnostic[] = [];
  for (const stage of stages) {
    const entries = [...stage.deps.map((d) => ({ ...d, what: 'dependency' })), ...stage.outs.map((o) => ({ ...o, what: 'output' }))];
    for (const entry of entries) {
      const real = realpathOfExistingPrefix(path.join(root, entry.path));
      if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
        diagnostics.push({
          code: 'path-escapes-workspace',
          message: `${entry.what} "${entry.path}" of stage "${stage.name}" resolves to ${real}, outside the workspace (through a symlink)`,
          span: entry.span,
        });
      }
    }
  }
  return diagnostics;
}

/** realpath of the longest existing prefix, with the rest appended: works for paths not created yet. */
function realpathOfExistingPrefix(abs: string): string {
  const rest: string[] = [];
  let current = abs;
  for (;;) {
    try {
      return path.join(realpathSync(current), ...rest.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return abs;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}
