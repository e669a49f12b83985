import { FAILSAFE_SCHEMA, load, Type } from 'js-yaml';

/**
 * The plain JS value of a YAML document, fast: js-yaml builds it about five times quicker than the
 * `yaml` library builds a Document. Returns undefined whenever the answer might differ from what
 * `parseDocument(text, {merge: true, uniqueKeys: true}).toJS({maxAliasCount})` gives, i.e. on any
 * js-yaml error and for any text that uses a feature the two libraries treat differently; the
 * caller then takes the `yaml` path, which stays the reference for values and errors alike.
 */
export function fastYamlValue(text: string): { value: unknown } | undefined {
  if (NEEDS_YAML_LIBRARY.some((re) => re.test(text)) || scanNeedsYaml(text)) return undefined;
  if (BLANK_LINE_WITH_SPACES.test(text) && BLOCK_SCALAR_HEADER.test(text)) return undefined;
  try {
    // An empty or comment-only file is `undefined` here and `null` for `yaml`.
    return { value: load(text, { schema: YAML_CORE_SCHEMA }) ?? null };
  } catch {
    return undefined;
  }
}

/**
 * Text that may use a feature where js-yaml and `yaml` differ, or where only `yaml` is safe. False
 * positives only cost speed. Found by reading both parsers and by differential fuzzing
 * (test/config/yaml-fast-path.test.ts keeps a deterministic share of it). Each pattern, in order:
 * - an anchor `&`, tag `!` or alias `*` where a node can start (line start, after `- `, `? `, `: `,
 *   `[`, `{`, `,`): js-yaml shares aliased objects and has no alias-count limit (billion laughs),
 *   and its tag set differs. `a && b` inside a command does not match.
 * - `<<`: merge keys (`yaml` merges, js-yaml with this schema would not).
 * - a directive (`%YAML 1.1` switches `yaml` to another schema).
 * - an explicit key `? `, or a flow collection used as a key (`[a]: x`): key stringification differs.
 *   The `}` that closes a `${...}` interpolation does not count.
 * - a null or empty key (`~: x`, `null: x`, `: x`): `yaml` makes it "", js-yaml "null".
 * - `---x` or `...x` at a line start: js-yaml takes it for a document marker, `yaml` for text; and
 *   content after a `--- ` marker (a mapping there is an error for `yaml` only).
 * - `#` right after a quote, a bracket or a comma, or a tab in indentation: errors for `yaml` only.
 * - a quoted scalar that continues on the next line, or an empty sequence item `-`: js-yaml does
 *   not check the indentation of what follows, `yaml` does. (Flow collections and long lines: see
 *   `scanNeedsYaml`.)
 * - a block scalar at the top level (any line starting with `|` or `>`) or with an explicit
 *   indentation indicator (`|2`), or a byte order mark anywhere: indentation is counted
 *   differently. A lone `\r`: a line break for js-yaml only.
 */
const NEEDS_YAML_LIBRARY = [
  String.raw`(?:^[ \t]*|[-?][ \t]+|[[{,:][ \t]*)[&!*]`,
  String.raw`<<`,
  String.raw`^%`,
  String.raw`(?:^|[\s[{,])\?(?:\s|$)`,
  String.raw`(?:\]|(?<!\$\{[^{}\n]*)\})[ \t]*:`,
  String.raw`(?:^|[\s[{,])(?:~|null|Null|NULL)?[ \t]*:(?:\s|$)`,
  String.raw`^(?:---|\.\.\.)(?:\S|[ \t]+[^\s#])`,
  String.raw`[,[\]{}"']#`,
  String.raw`^ *\t`,
  String.raw`(?:^[ \t]*|[-?:,[{][ \t]*)(?:"(?:[^"\\\n]|\\.)*\\?|'(?:[^'\n]|'')*)$`,
  String.raw`^[ \t]*(?:-[ \t]+)*-[ \t]*(?:#.*)?$`,
  String.raw`^[ \t]*[|>]|[|>][-+]?[0-9]`,
  String.raw`\uFEFF|\r(?!\n)`,
].map((source) => new RegExp(source, 'm'));

/** Whitespace-only lines in or after a block scalar (`|`, `>`) are kept or dropped differently by the two. */
const BLANK_LINE_WITH_SPACES = /^[ \t]+$/m;
const BLOCK_SCALAR_HEADER = /(?:^|[\s:?[{,-])[|>][-+0-9]*[ \t]*(?:#.*)?$/m;

/**
 * One pass for what a regular expression cannot say (or not cheaply): a line of 1024+ characters
 * (`yaml` rejects implicit keys that long, js-yaml does not); and in flow collections (`[...]`,
 * `{...}`), a collection used as a key inside a flow mapping (`{[a]}`, `{a: 1, {b: 2}}`), an empty
 * or null key (`[: a]`, `{~}`) and, unless the whole document is one flow collection (JSON), a
 * collection that continues on the next line (js-yaml does not check its indentation). Brackets in
 * block-context text count too (`awk '{...}'`): false positives only.
 */
function scanNeedsYaml(text: string): boolean {
  const json = /^\s*[[{]/.test(text);
  const mapping: boolean[] = [];
  let keyPosition = false;
  let nodeStart = false;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x0a) {
      if (i - lineStart >= 1024 || (mapping.length > 0 && !json)) return true;
      lineStart = i + 1;
      continue;
    }
    if (mapping.length === 0) {
      // Block context: only the start of a flow collection matters (hot loop: char codes).
      if (code === 0x5b || code === 0x7b) {
        mapping.push(code === 0x7b);
        keyPosition = code === 0x7b;
        nodeStart = true;
      }
      continue;
    }
    const c = text[i];
    switch (c) {
      case ' ':
      case '\t':
      case '\r':
        break;
      case '[':
      case '{':
        if (keyPosition) return true;
        mapping.push(c === '{');
        keyPosition = c === '{';
        nodeStart = true;
        break;
      case ']':
      case '}':
        mapping.pop();
        keyPosition = nodeStart = false;
        break;
      case ',':
        keyPosition = mapping[mapping.length - 1] === true;
        nodeStart = true;
        break;
      case ':':
        // `[a, : b]`: an empty (null) key.
        if (nodeStart) return true;
        keyPosition = false;
        nodeStart = true;
        break;
      case '"':
      case "'":
        if (nodeStart) {
          i = endOfQuoted(text, i, json);
          if (i < 0) return true;
        }
        keyPosition = nodeStart = false;
        break;
      case '#':
        if (i > 0 && /\s/.test(text[i - 1]!)) {
          const eol = text.indexOf('\n', i);
          i = (eol < 0 ? text.length : eol) - 1;
          break;
        }
        keyPosition = nodeStart = false;
        break;
      default:
        // `{null}`, `{~, a}`: a null key without a value.
        if (keyPosition) {
          NULL_WORD.lastIndex = i;
          if (NULL_WORD.test(text)) return true;
        }
        keyPosition = nodeStart = false;
    }
  }
  return text.length - lineStart >= 1024 || mapping.length > 0;
}

const NULL_WORD = /(?:~|null|Null|NULL)(?![^\s,:\]}])/y;

/** Index of the quote closing the flow scalar opened at `start`, or -1 (unclosed, or a line break where not allowed). */
function endOfQuoted(text: string, start: number, multiLine: boolean): number {
  const quote = text[start];
  for (let j = start + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\n' && !multiLine) return -1;
    if (quote === '"' && c === '\\') j++;
    else if (c === quote) {
      if (quote === "'" && text[j + 1] === "'") j++;
      else return j;
    }
  }
  return -1;
}

/**
 * YAML 1.2 core schema with exactly `yaml`'s rules (its tests, in its order: null, bool, int, float).
 * js-yaml's own CORE_SCHEMA also reads `0b101`, `-0x1F`, `1_000.5` as numbers and `-.5` as a string,
 * where `yaml` does the opposite; built from FAILSAFE_SCHEMA (strings, lists, maps) instead.
 */
const CORE_NULL = /^(?:~|[Nn]ull|NULL)?$/;
const CORE_BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const CORE_INT = /^(?:0o[0-7]+|[-+]?[0-9]+|0x[0-9a-fA-F]+)$/;
const CORE_FLOAT = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*))$/;

/** Whether a plain (unquoted) scalar with this text reads as null, a bool or a number. */
export function resolvesAsNonString(text: string): boolean {
  return CORE_NULL.test(text) || CORE_BOOL.test(text) || CORE_INT.test(text) || CORE_FLOAT.test(text);
}

const scalarType = (tag: string, test: RegExp, construct: (data: string) => unknown) =>
  new Type(`tag:yaml.org,2002:${tag}`, { kind: 'scalar', resolve: (data: string | null) => data !== null && test.test(data), construct });

const YAML_CORE_SCHEMA = FAILSAFE_SCHEMA.extend({
  implicit: [
    scalarType('null', CORE_NULL, () => null),
    scalarType('bool', CORE_BOOL, (data) => data[0] === 't' || data[0] === 'T'),
    scalarType('int', CORE_INT, (data) =>
      data[1] === 'o' ? parseInt(data.substring(2), 8) : data[1] === 'x' ? parseInt(data.substring(2), 16) : parseInt(data, 10),
    ),
    scalarType('float', CORE_FLOAT, (data) => {
      const tail = data.slice(-3).toLowerCase();
      return tail === 'nan' ? NaN : tail === 'inf' ? (data[0] === '-' ? -Infinity : Infinity) : parseFloat(data);
    }),
  ],
});
