import { parseOverrides, writeParams } from '../../sweep/set-params.js';
import { dvcDiff, renderDiffMarkdown, selectKeys } from '../../report/dvc-diff.js';
import { parseDataText } from '../../resolve/params-formats.js';
import { refReader, resolveRef, type Ref } from '../../sweep/refs.js';
import { renderText } from '../../sweep/table.js';
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

/**
 * What `params diff` compares, as DVC's `params show` collects it: each stage's tracked keys per
 * file, whole files for params.yaml (when present), the top-level `params:` list and the vars files
 * templating read. `undefined` keys = the whole file.
 */
export function paramsSpec(project: Project): Map<string, string[] | undefined> {
  const spec = new Map<string, string[] | undefined>();
  const whole = (file: string) => spec.set(file, undefined);
  for (const p of project.pipeline.stages.flatMap((s) => s.params)) {
    if (p.key === '') whole(p.file);
    else if (!spec.has(p.file)) spec.set(p.file, [p.key]);
    else spec.get(p.file)?.push(p.key);
  }
  if (project.files.readText('params.yaml') !== undefined) whole('params.yaml');
  for (const file of [...(project.pipeline.paramsFiles ?? []), ...(project.pipeline.varsFiles ?? [])]) whole(file);
  return new Map([...spec].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The params files the pipeline reads (see `paramsSpec`), sorted. */
export function paramsFiles(project: Project): string[] {
  return [...paramsSpec(project).keys()];
}

/** Each file's tracked part at `ref`; a file missing or unreadable there is left out and reported on stderr. */
async function paramsAt(root: string, ref: Ref, spec: ReadonlyMap<string, string[] | undefined>, io: Io): Promise<Map<string, unknown>> {
  const read = refReader(root, ref);
  const out = new Map<string, unknown>();
  for (const [file, keys] of spec) {
    let text: string | undefined;
    try {
      text = await read(file);
    } catch (e) {
      io.err(`warning: ${file} at ${ref.label}: ${(e as Error).message}\n`);
      continue;
    }
    if (text === undefined) continue;
    const parsed = parseDataText(file, text);
    if (!parsed.ok) {
      io.err(`warning: ${parsed.error} (at ${ref.label})\n`);
      continue;
    }
    out.set(file, keys === undefined ? (parsed.value ?? {}) : selectKeys(parsed.value, keys));
  }
  return out;
}

export interface DiffFlags {
  json: boolean;
  all: boolean;
  md: boolean;
}

/** `--json` prints DVC's document `{file: {key: {old, new, diff?}}}`; `--md` DVC's Markdown table. */
export async function paramsDiffCommand(root: string, refs: string[], flags: DiffFlags, io: Io): Promise<number> {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const sides = await diffRefs(root, refs, io);
  if (typeof sides === 'number') return sides;
  const spec = paramsSpec(project);
  const [oldSide, newSide] = await Promise.all(sides.map((r) => paramsAt(root, r, spec, io)));
  const diff = dvcDiff(oldSide!, newSide!, flags.all);
  if (flags.json) {
    io.out(`${JSON.stringify(diff, null, 2)}\n`);
    return EXIT.ok;
  }
  if (flags.md) {
    io.out(renderDiffMarkdown(diff, { title: 'Param', oldLabel: sides[0].label, newLabel: sides[1].label, changes: false }));
    return EXIT.ok;
  }
  const rows = Object.entries(diff).flatMap(([file, entries]) => Object.entries(entries).map(([key, e]) => [file, key, e.old, e.new]));
  if (rows.length === 0) {
    io.out(`No params changed between ${sides[0].label} and ${sides[1].label}.\n`);
    return EXIT.ok;
  }
  io.out(`${renderText({ columns: ['Path', 'Param', sides[0].label, sides[1].label], rows })}\n`);
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
