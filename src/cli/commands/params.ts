import { parseOverrides, writeParams } from '../../sweep/set-params.js';
import { diffJson, diffValues } from '../../sweep/diff.js';
import { flatten, type Scalar } from '../../sweep/metrics-files.js';
import { refReader, resolveRef, type Ref } from '../../sweep/refs.js';
import { renderText } from '../../sweep/table.js';
import { parse as parseYaml } from 'yaml';
import { EXIT, type Io } from '../io.js';
import { loadProject, type Project } from '../project.js';

/** Resolves up to two refs for a diff: default old = HEAD, new = the workspace. */
export async function diffRefs(root: string, refs: readonly string[], io: Io): Promise<[Ref, Ref] | number> {
  if (refs.length > 2) {
    io.err('error: give at most two revisions to compare (OLD [NEW])\n');
    return EXIT.invalid;
  }
  const [a = 'HEAD', b = 'workspace'] = refs;
  const resolved: Ref[] = [];
  for (const text of [a, b]) {
    const ref = await resolveRef(root, text);
    if (!ref.ok) {
      io.err(`error: ${ref.error}\n`);
      return EXIT.invalid;
    }
    resolved.push(ref.value);
  }
  return [resolved[0]!, resolved[1]!];
}

/** The params files the pipeline reads: every stage's, plus params.yaml. */
export function paramsFiles(project: Project): string[] {
  const files = new Set(project.pipeline.stages.flatMap((s) => s.params.map((p) => p.file)));
  if (project.files.readText('params.yaml') !== undefined) files.add('params.yaml');
  return [...files].sort();
}

async function paramsAt(root: string, ref: Ref, files: readonly string[]): Promise<Map<string, Record<string, Scalar>>> {
  const read = refReader(root, ref);
  const out = new Map<string, Record<string, Scalar>>();
  for (const file of files) {
    const text = await read(file);
    if (text === undefined) continue;
    try {
      out.set(file, flatten(parseYaml(text) as unknown));
    } catch {
      out.set(file, {});
    }
  }
  return out;
}

export async function paramsDiffCommand(root: string, refs: string[], flags: { json: boolean; all: boolean }, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const sides = await diffRefs(root, refs, io);
  if (typeof sides === 'number') return sides;
  const files = paramsFiles(project);
  const [oldSide, newSide] = await Promise.all(sides.map((r) => paramsAt(root, r, files)));
  const rows = diffValues(oldSide!, newSide!, { all: flags.all });
  if (flags.json) {
    io.out(`${JSON.stringify({ old: sides[0].label, new: sides[1].label, params: diffJson(rows) }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) {
    io.out(`No params changed between ${sides[0].label} and ${sides[1].label}.\n`);
    return EXIT.ok;
  }
  io.out(`${renderText({ columns: ['Path', 'Param', sides[0].label, sides[1].label], rows: rows.map((r) => [r.file, r.key, r.old, r.new]) })}\n`);
  return EXIT.ok;
}

/** `repro -S key=value`: writes the values into their params files (comments kept) before the run. */
export async function setParamsCommand(root: string, sets: readonly string[], flags: { dry: boolean }, io: Io): Promise<number> {
  if (flags.dry) {
    io.err('error: -S writes the params file, and --dry changes nothing; run without --dry, or use orchestrator sweep run --dry -S ...\n');
    return EXIT.invalid;
  }
  const parsed = parseOverrides(sets);
  if (!parsed.ok) {
    io.err(`error: ${parsed.error}\n`);
    return EXIT.invalid;
  }
  const written = await writeParams(root, parsed.value);
  if (!written.ok) {
    io.err(`error: ${written.error}\n`);
    return EXIT.invalid;
  }
  return EXIT.ok;
}
