import { isMap, isScalar, isSeq, parseDocument, stringify, type Document } from 'yaml';
import { didYouMean } from '../config/did-you-mean.js';
import { err, ok, type Result } from '../model/result.js';
import { paramKeyLabel, type ParamKey } from './axis.js';
import { getOwn, setOwn } from '../util/null-record.js';

/** One value to put into a params file. */
export interface ParamAssignment {
  key: ParamKey;
  value: unknown;
}

/**
 * Sets dotted keys in a params file's text, keeping its comments, key order and layout (YAML
 * Document API: a scalar that changes keeps its node, so a trailing `# comment` survives). JSON files
 * stay JSON with their indentation. A key the file lacks is an error unless the assignment adds it.
 */
export function editParamsText(file: string, text: string, assignments: readonly ParamAssignment[]): Result<string, string> {
  if (/\.json$/i.test(file)) return editJson(file, text, assignments);
  // Read as params (DVC's formats), but not written: editing them would need a TOML or Python writer.
  if (/\.(toml|py)$/i.test(file)) return err(`${file}: only YAML and JSON params files can be set from the command line or a sweep; edit this file by hand`);
  return editInPlace(text, assignments) ?? editDocument(file, text, assignments);
}

/**
 * The common case, byte for byte: every key exists and holds a plain one-line scalar that becomes
 * another one, so only those characters change (alignment before a `# comment` survives too).
 * Undefined when some assignment needs a structural edit.
 */
function editInPlace(text: string, assignments: readonly ParamAssignment[]): Result<string, string> | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return undefined;
  const edits: { start: number; end: number; text: string }[] = [];
  const appended: Record<string, unknown> = {};
  for (const a of assignments) {
    const path = segments(a.key.key);
    // A new top-level key (`+head_dim`) goes at the end of a block mapping, touching nothing else.
    if (a.key.add && isMap(doc.contents) && !doc.contents.flow && typeof path[0] === 'string' && !doc.has(path[0])) {
      let target = appended;
      for (const seg of path.slice(0, -1)) {
        if (getOwn(target, String(seg)) === undefined) setOwn(target, String(seg), {});
        target = getOwn(target, String(seg)) as Record<string, unknown>;
      }
      setOwn(target, String(path[path.length - 1]), a.value);
      continue;
    }
    const node = doc.getIn(path, true);
    if (!isScalar(node) || !node.range || (a.value !== null && typeof a.value === 'object')) return undefined;
    if (node.type === 'BLOCK_FOLDED' || node.type === 'BLOCK_LITERAL') return undefined;
    const rendered = stringify(a.value, { lineWidth: 0 }).trimEnd();
    if (rendered.includes('\n')) return undefined;
    edits.push({ start: node.range[0], end: node.range[1], text: rendered });
  }
  edits.sort((x, y) => y.start - x.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  if (Object.keys(appended).length > 0) out = `${out}${out === '' || out.endsWith('\n') ? '' : '\n'}${stringify(appended)}`;
  // Whatever was written must read back as exactly the values assigned.
  const check = parseDocument(out);
  if (check.errors.length > 0) return undefined;
  for (const a of assignments) if (JSON.stringify(check.getIn(segments(a.key.key))) !== JSON.stringify(a.value)) return undefined;
  return ok(out);
}

function editDocument(file: string, text: string, assignments: readonly ParamAssignment[]): Result<string, string> {
  const doc = parseDocument(text === '' ? '{}' : text, { keepSourceTokens: false });
  if (doc.errors.length > 0) return err(`${file}: ${doc.errors[0]!.message}`);
  if (doc.contents === null) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  for (const a of assignments) {
    const path = segments(a.key.key);
    const found = nodeAt(doc, path);
    if (!found.exists && !a.key.add) return err(missing(file, a.key, found.candidates));
    const node = doc.getIn(path, true);
    if (isScalar(node) && (a.value === null || typeof a.value !== 'object')) {
      node.value = a.value;
      // A value that was quoted text and is now a number must not stay quoted.
      if (typeof a.value !== 'string') node.type = undefined;
    } else {
      doc.setIn(path, doc.createNode(a.value));
    }
  }
  return ok(doc.toString());
}

function editJson(file: string, text: string, assignments: readonly ParamAssignment[]): Result<string, string> {
  let data: unknown;
  try {
    data = text.trim() === '' ? {} : JSON.parse(text);
  } catch (e) {
    return err(`${file}: ${(e as Error).message}`);
  }
  for (const a of assignments) {
    const path = segments(a.key.key);
    let current = data as Record<string | number, unknown>;
    for (const [i, seg] of path.entries()) {
      const last = i === path.length - 1;
      const has = current !== null && typeof current === 'object' && Object.hasOwn(current, seg);
      if (!has && !a.key.add) return err(missing(file, a.key, current && typeof current === 'object' ? Object.keys(current) : []));
      if (last) setOwn(current, seg, a.value);
      else {
        if (!has || current[seg] === null || typeof current[seg] !== 'object') setOwn(current, seg, {});
        current = current[seg] as Record<string | number, unknown>;
      }
    }
  }
  const indent = /^[ \t]+/m.exec(text)?.[0] ?? '  ';
  return ok(`${JSON.stringify(data, null, indent)}\n`);
}

function missing(file: string, key: ParamKey, candidates: string[]): string {
  const last = key.key.split('.').pop()!;
  return `param "${paramKeyLabel(key)}" not found in ${file}${didYouMean(last, candidates)} (write +${key.key} to add it)`;
}

/** `layers.0.width` -> ['layers', 0, 'width'] (numbers index lists). */
function segments(key: string): (string | number)[] {
  return key.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function nodeAt(doc: Document, path: (string | number)[]): { exists: boolean; candidates: string[] } {
  let node: unknown = doc.contents;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return { exists: false, candidates: node.items.map((p) => (isScalar(p.key) ? String(p.key.value) : '')) };
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg];
    } else {
      return { exists: false, candidates: [] };
    }
  }
  return { exists: true, candidates: [] };
}

/** Groups assignments per params file, in first-seen order. */
export function byFile(assignments: readonly ParamAssignment[]): Map<string, ParamAssignment[]> {
  const out = new Map<string, ParamAssignment[]>();
  for (const a of assignments) {
    const list = out.get(a.key.file) ?? [];
    list.push(a);
    out.set(a.key.file, list);
  }
  return out;
}
