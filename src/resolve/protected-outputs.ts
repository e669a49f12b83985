import type { Diagnostic } from '../model/diagnostic.js';
import type { Stage } from '../model/stage.js';

/** Directories the tool, git or DVC own: never an output, wherever they appear in a path. */
const TOOL_DIRS = new Set(['.git', '.orchestrator', '.dvc']);

/** Pipeline and lock files at the root: an output deleting them would delete the pipeline itself. */
export const PIPELINE_FILES = ['pipeline.yaml', 'dvc.yaml', 'pipeline.lock', 'dvc.lock'];

/**
 * Outputs are deleted before their stage runs, so an output must be the stage's own and nothing
 * else: not the workspace root, not a tool directory, not a file the pipeline is read from (pipeline,
 * lock, params and vars files), and not a stage's working directory. `configFiles` are the
 * root-relative files the loader read or looked for (params.yaml is protected even when absent).
 */
export function findProtectedOutputs(stages: readonly Stage[], configFiles: readonly string[]): Diagnostic[] {
  const protectedFiles = [...new Set([...PIPELINE_FILES, 'params.yaml', ...configFiles])];
  const wdirs = new Map<string, string>();
  for (const stage of stages) if (stage.wdir !== '.' && !wdirs.has(stage.wdir)) wdirs.set(stage.wdir, stage.name);
  const diagnostics: Diagnostic[] = [];
  for (const stage of stages) {
    for (const out of stage.outs) {
      const why = reason(out.path, protectedFiles, wdirs);
      if (why === undefined) continue;
      diagnostics.push({
        code: 'protected-output',
        message: `output "${out.path}" of stage "${stage.name}" ${why}; outputs are deleted before their stage runs`,
        span: out.span ?? stage.span,
        hint: 'declare the files the stage writes (e.g. build/model.onnx), not a directory that holds anything else',
      });
    }
  }
  return diagnostics;
}

function reason(out: string, files: readonly string[], wdirs: ReadonlyMap<string, string>): string | undefined {
  if (out === '.' || out === '') return 'is the workspace root';
  const toolDir = out.split('/').find((part) => TOOL_DIRS.has(part));
  if (toolDir !== undefined) return `is or lies inside "${toolDir}", which belongs to ${toolDir === '.git' ? 'git' : toolDir === '.dvc' ? 'DVC' : 'orchestrator'}`;
  for (const dir of TOOL_DIRS) if (contains(out, dir)) return `contains "${dir}"`;
  const file = files.find((f) => contains(out, f));
  if (file !== undefined) return file === out ? `is "${file}", which the pipeline is read from` : `contains "${file}", which the pipeline is read from`;
  for (const [wdir, owner] of wdirs) {
    if (contains(out, wdir)) return `${wdir === out ? 'is' : 'contains'} "${wdir}", the working directory of stage "${owner}"`;
  }
  return undefined;
}

/** True when `outer` equals `inner` or is an ancestor directory of it (POSIX, root-relative). */
function contains(outer: string, inner: string): boolean {
  return inner === outer || inner.startsWith(`${outer}/`);
}
