import { yamlLib } from '../util/yaml-lib.js';
import type { Document, LineCounter, Node, Pair, YAMLMap } from 'yaml';
import type { Diagnostic, SourceSpan } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import { selfReferencingAlias } from './alias-cycles.js';

/** A key path into a document, as zod and `doc.getIn` use it. */
export type YamlPath = readonly (string | number)[];

/** A parsed YAML (or JSON) file that can say where every node came from. */
export interface YamlSource {
  /** Path relative to the workspace root. */
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lineCounter: LineCounter;
  /** Plain JS value of the whole document (null for an empty file). */
  readonly value: unknown;
}

/** Parses YAML (JSON is valid YAML 1.2); syntax errors and duplicate keys become diagnostics. */
export function parseYamlSource(file: string, text: string): Result<YamlSource, Diagnostic[]> {
  const { doc, lineCounter } = parseWithPositions(text);
  const source: YamlSource = { file, text, doc, lineCounter, value: null };
  if (doc.errors.length > 0) {
    // After the first syntax error the parser's later errors are mostly echoes of it; duplicate keys are not.
    const firstSyntax = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
    const shown = doc.errors.filter((e) => e.code === 'DUPLICATE_KEY' || e === firstSyntax);
    return err(
      shown.map((e) => {
        const span = offsetSpan(source, e.pos[0], Math.max(e.pos[1], e.pos[0] + tokenLength(text, e.pos[0])));
        const hint = flowBeforeInterpolation(lineAt(text, e.pos[0])) ? 'quote values that contain ${...} inside [...] or {...}' : undefined;
        return { code: 'yaml-syntax' as const, message: readableYamlError(e.message), span, ...(hint ? { hint } : {}) };
      }),
    );
  }
  try {
    const cyclic = selfReferencingAlias(doc);
    if (cyclic) {
      return err([{ code: 'yaml-syntax', message: 'this alias refers to a value that contains it, which would make the value infinite', span: offsetSpan(source, cyclic[0], cyclic[1]) }]);
    }
    return ok({ ...source, value: doc.toJS({ maxAliasCount: 1000 }) as unknown });
  } catch (e) {
    const message = readableYamlError(e instanceof Error ? e.message : String(e));
    return err([{ code: 'yaml-syntax', message, span: offsetSpan(source, 0, 1) }]);
  }
}

/**
 * A source for data read from another format (TOML, Python params): `value` is the data; spans inside
 * it fall back to the start of the file, since there is no YAML node to point at.
 */
export function plainSource(file: string, text: string, value: unknown): YamlSource {
  const { doc, lineCounter } = parseWithPositions('');
  return { file, text, doc, lineCounter, value };
}

/** The line holding `offset`, without its line break. */
function lineAt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  return text.slice(start, end < 0 ? text.length : end).replace(/\r$/, '');
}

/**
 * `[a/${x}]` is the classic trap: `{` opens a flow mapping unless the value is quoted. Two index
 * searches, not `/[[{].*\$\{/`: that regular expression backtracks quadratically on a line of
 * thousands of brackets (a 200 KB deeply nested params file took 15 s to report its error).
 */
function flowBeforeInterpolation(line: string): boolean {
  const open = line.search(/[[{]/);
  return open >= 0 && line.indexOf('${', open) >= 0;
}

/** The parser runs out of stack on very deep nesting; say so in the user's terms. */
function readableYamlError(message: string): string {
  return /Maximum call stack size exceeded/.test(message) ? 'nested too deeply to read (too many levels of [...], {...} or indentation)' : message;
}

function parseWithPositions(text: string): { doc: Document.Parsed; lineCounter: LineCounter } {
  const lineCounter = new (yamlLib().LineCounter)();
  // prettyErrors off: positions come from err.pos, so messages stay one line.
  // merge: `<<: *anchor` is common in DVC-style files.
  const doc = yamlLib().parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  return { doc, lineCounter };
}

/** Length of the scalar token at `offset`, so an error the parser pins to one character underlines a whole key. */
function tokenLength(text: string, offset: number): number {
  const token = /^("[^"\n]*"|'[^'\n]*'|[^\s:,{}[\]]+)/.exec(text.slice(offset));
  return Math.max(1, token?.[0].length ?? 1);
}

/** Span from absolute character offsets (end exclusive). */
export function offsetSpan(source: Pick<YamlSource, 'file' | 'lineCounter'>, start: number, end: number): SourceSpan {
  const a = source.lineCounter.linePos(start);
  const b = source.lineCounter.linePos(Math.max(end, start));
  return { file: source.file, line: a.line, col: a.col, endLine: b.line, endCol: b.col };
}

function nodeSpan(source: YamlSource, node: Node): SourceSpan {
  const range = node.range ?? [0, 0, 0];
  return offsetSpan(source, range[0], Math.max(range[1], range[0] + 1));
}

interface Lookup {
  /** Deepest node reached (the value at the full path when `complete`). */
  node: Node | undefined;
  /** Key node of the last map entry traversed. */
  key: Node | undefined;
  complete: boolean;
}

/** A mapping's pairs by key text (first wins), built once per mapping: a resolver asks for a span per stage. */
const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();
function pairsByKey(map: YAMLMap): Map<string, Pair> {
  let index = pairIndex.get(map);
  if (index === undefined) {
    index = new Map();
    for (const pair of map.items) {
      const key = pair.key;
      if (yamlLib().isScalar(key) && !index.has(String(key.value))) index.set(String(key.value), pair);
    }
    pairIndex.set(map, index);
  }
  return index;
}

function lookup(source: YamlSource, path: YamlPath): Lookup {
  const { isAlias, isMap, isSeq } = yamlLib();
  let current: Node | undefined = (source.doc.contents ?? undefined) as Node | undefined;
  let key: Node | undefined;
  let deepest: Node | undefined = current;
  for (const [i, segment] of path.entries()) {
    if (current !== undefined && isAlias(current)) current = current.resolve(source.doc) as Node | undefined;
    let next: Node | undefined;
    if (isMap(current)) {
      const pair = pairsByKey(current).get(String(segment));
      if (pair === undefined) return { node: deepest, key, complete: false };
      key = pair.key as Node;
      next = (pair.value ?? undefined) as Node | undefined;
      // `deps:` with no value: the key is the best place to point at.
      if (next === undefined) return { node: key, key, complete: i === path.length - 1 };
    } else if (isSeq(current) && typeof segment === 'number') {
      next = (current.items[segment] ?? undefined) as Node | undefined;
      if (next === undefined) return { node: deepest, key, complete: false };
    } else {
      return { node: deepest, key, complete: false };
    }
    current = next;
    deepest = next;
  }
  return { node: deepest, key, complete: true };
}

/** Span of the node at `path`, or of the deepest existing ancestor when the path is not in the file. */
export function spanAt(source: YamlSource, path: YamlPath): SourceSpan {
  const found = lookup(source, path);
  return found.node ? nodeSpan(source, found.node) : offsetSpan(source, 0, 1);
}

/** Span of the map key that `path` ends in (e.g. a stage name), falling back to `spanAt`. */
export function keySpanAt(source: YamlSource, path: YamlPath): SourceSpan {
  const found = lookup(source, path);
  if (found.complete && found.key) return nodeSpan(source, found.key);
  return spanAt(source, path);
}

/**
 * Span of the `${` occurrence at `offset` inside the string scalar at `path`. Works for plain, quoted
 * and block scalars by finding the same occurrence of `${` in the raw source; falls back to the node.
 */
export function spanInScalar(source: YamlSource, path: YamlPath, offset: number, length: number): SourceSpan {
  const { isScalar } = yamlLib();
  const found = lookup(source, path);
  const node = found.complete ? found.node : undefined;
  if (!node || !isScalar(node) || typeof node.value !== 'string' || !node.range) return spanAt(source, path);
  const value = node.value;
  let occurrence = 0;
  for (let i = value.indexOf('${'); i !== -1 && i < offset; i = value.indexOf('${', i + 1)) occurrence++;
  const raw = source.text.slice(node.range[0], node.range[1]);
  let rawIndex = raw.indexOf('${');
  for (let n = 0; n < occurrence && rawIndex !== -1; n++) rawIndex = raw.indexOf('${', rawIndex + 1);
  if (rawIndex === -1) return nodeSpan(source, node);
  const start = node.range[0] + rawIndex;
  const sameText = raw.slice(rawIndex, rawIndex + length) === value.slice(offset, offset + length);
  return offsetSpan(source, start, start + (sameText ? length : 2));
}

/** Keys of the mapping at `path`, with their spans, in source order. */
export function mapKeySpans(source: YamlSource, path: YamlPath): Map<string, SourceSpan> {
  const { isAlias, isMap, isScalar } = yamlLib();
  const found = lookup(source, path);
  const spans = new Map<string, SourceSpan>();
  let node = found.complete ? found.node : undefined;
  if (node !== undefined && isAlias(node)) node = node.resolve(source.doc) as Node | undefined;
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isScalar(pair.key)) spans.set(String(pair.key.value), nodeSpan(source, pair.key as Node));
    }
  }
  return spans;
}
