import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { err, ok, type Result } from '../model/result.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { parseParamKey, scalar } from './axis.js';
import { byFile, editParamsText, type ParamAssignment } from './params-edit.js';

/** `-S key=value` arguments (repro): one value each, parsed as a YAML scalar or flow value. */
export function parseOverrides(args: readonly string[]): Result<ParamAssignment[], string> {
  const out: ParamAssignment[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) return err(`-S ${arg}: expected key=value, e.g. -S model.bits=4`);
    const key = parseParamKey(arg.slice(0, eq));
    if (!key.ok) return err(`-S ${arg}: ${key.error}`);
    out.push({ key: key.value, value: scalar(arg.slice(eq + 1)) });
  }
  return ok(out);
}

/**
 * Writes values into the params files under `root`, keeping comments and layout. All files are
 * edited in memory first, so one bad key writes nothing. Returns the files that changed.
 */
export async function writeParams(root: string, assignments: readonly ParamAssignment[]): Promise<Result<string[], string>> {
  const edits: [string, string][] = [];
  for (const [file, list] of byFile(assignments)) {
    const abs = path.join(root, file);
    const text = await readFile(abs, 'utf8').catch(() => undefined);
    if (text === undefined && !list.every((a) => a.key.add)) return err(`${file}: file not found`);
    const edited = editParamsText(file, text ?? '', list);
    if (!edited.ok) return edited;
    if (edited.value !== text) edits.push([abs, edited.value]);
  }
  for (const [abs, text] of edits) await writeFileAtomic(abs, text);
  return ok(edits.map(([abs]) => path.relative(root, abs)));
}
