import { err, ok, type Result } from '../model/result.js';

/**
 * Reads a Python params file the way DVC does (dvc/utils/serialize/_py.py): only top-level
 * `NAME = literal` / `NAME: type = literal` assignments, class bodies (a class becomes a mapping of
 * its own assignments and nested classes), and `self.NAME = literal` inside `__init__`. Nothing is
 * executed. Literals are numbers, strings (adjacent ones joined), True/False/None, and lists, tuples,
 * sets and dicts of literals; a tuple becomes a list, and so does a set (its distinct members in written
 * order), as they read back from a lock file.
 *
 * Skipped without error, as DVC skips them: assignments whose value is not such a literal (calls,
 * names, f-strings, arithmetic), several targets (`a = b = 1`, `a, b = 1, 2`), augmented assignments
 * and every other statement. Also skipped here (DVC keeps them as Python objects that YAML, JSON and
 * a lock cannot hold): bytes and complex numbers. A file that cannot be tokenized (an unterminated
 * string or bracket) is an error.
 */
export function parsePythonParams(text: string): Result<Record<string, unknown>, string> {
  const lines = logicalLines(text);
  if (!lines.ok) return lines;
  return ok(readBlock(lines.value, 0, lines.value.length, false));
}

type Token =
  | { kind: 'name'; text: string }
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string; usable: boolean }
  | { kind: 'op'; text: string };

interface Line {
  indent: number;
  tokens: Token[];
  lineNo: number;
}

/** Splits source into logical lines (brackets and `\` join physical lines), each tokenized. */
function logicalLines(text: string): Result<Line[], string> {
  const lines: Line[] = [];
  let i = 0;
  let lineNo = 1;
  let depth = 0;
  let current: Line | undefined;
  let atLineStart = true;
  let indent = 0;
  const finish = () => {
    if (current && current.tokens.length > 0) lines.push(current);
    current = undefined;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (atLineStart) {
      indent = 0;
      while (text[i] === ' ' || text[i] === '\t') {
        indent += text[i] === '\t' ? 8 - (indent % 8) : 1;
        i++;
      }
      atLineStart = false;
      continue;
    }
    if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      lineNo++;
      if (depth === 0) {
        finish();
        atLineStart = true;
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\f') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
      continue;
    }
    if (c === '\\' && (text[i + 1] === '\n' || text[i + 1] === '\r')) {
      i += text[i + 1] === '\r' && text[i + 2] === '\n' ? 3 : 2;
      lineNo++;
      continue;
    }
    current ??= { indent, tokens: [], lineNo };
    const rest = text.slice(i);
    const str = /^([rRuUbBfF]{0,2})('''|"""|'|")/.exec(rest);
    if (str && /^[rRuUbBfF]{0,2}$/.test(str[1]!)) {
      const read = readString(text, i + str[1]!.length, str[2]!, str[1]!.toLowerCase());
      if (!read.ok) return err(`line ${lineNo}: ${read.error}`);
      lineNo += text.slice(i, read.value.end).split('\n').length - 1;
      const prefix = str[1]!.toLowerCase();
      current.tokens.push({ kind: 'string', value: read.value.value, usable: !prefix.includes('b') && !prefix.includes('f') });
      i = read.value.end;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d[\d_]*)?[jJ]?|\d[\d_]*\.)/.exec(rest);
    if (num && /^[\d.]/.test(c) && num[0] !== '.') {
      const raw = num[0].replace(/_/g, '');
      if (/[jJ]$/.test(raw)) current.tokens.push({ kind: 'op', text: 'complex' });
      else current.tokens.push({ kind: 'number', value: /^0[xXoObB]/.test(raw) ? Number(raw.toLowerCase()) : Number(raw) });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*/.exec(rest);
    if (name) {
      current.tokens.push({ kind: 'name', text: name[0] });
      i += name[0].length;
      continue;
    }
    const op = /^(\*\*=|\/\/=|>>=|<<=|[-+*/%&|^@:<>=!]=|->|\*\*|\/\/|<<|>>|:=|[()[\]{},:.;=+\-*/%&|^~<>@!])/.exec(rest);
    const token = op ? op[0] : c;
    if ('([{'.includes(token)) depth++;
    if (')]}'.includes(token)) depth = Math.max(0, depth - 1);
    current.tokens.push({ kind: 'op', text: token });
    i += token.length;
  }
  if (depth > 0) return err('a bracket is never closed');
  finish();
  return ok(lines);
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\n': '' };

function readString(text: string, start: number, quote: string, prefix: string): Result<{ value: string; end: number }, string> {
  const raw = prefix.includes('r');
  let i = start + quote.length;
  let value = '';
  while (i < text.length) {
    if (text.startsWith(quote, i)) return ok({ value, end: i + quote.length });
    const c = text[i]!;
    if (quote.length === 1 && (c === '\n' || c === '\r')) return err('a string is never closed');
    if (c === '\\' && i + 1 < text.length) {
      const next = text[i + 1]!;
      if (raw) {
        value += c + next;
        i += 2;
        continue;
      }
      const hex = next === 'x' ? /^[0-9a-fA-F]{2}/.exec(text.slice(i + 2)) : next === 'u' ? /^[0-9a-fA-F]{4}/.exec(text.slice(i + 2)) : next === 'U' ? /^[0-9a-fA-F]{8}/.exec(text.slice(i + 2)) : null;
      if (hex) {
        value += String.fromCodePoint(parseInt(hex[0], 16));
        i += 2 + hex[0].length;
      } else if (Object.hasOwn(ESCAPES, next)) {
        value += ESCAPES[next];
        i += 2;
      } else {
        value += c + next;
        i += 2;
      }
      continue;
    }
    value += c;
    i++;
  }
  return err('a string is never closed');
}

/** Reads lines [from, to) at the indentation of `lines[from]`; `selfOnly` inside `__init__`. */
function readBlock(lines: Line[], from: number, to: number, selfOnly: boolean): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
  const base = lines[from]?.indent ?? 0;
  let i = from;
  while (i < to) {
    const line = lines[i]!;
    let end = i + 1;
    while (end < to && lines[end]!.indent > base) end++;
    const [first, second] = line.tokens;
    const header = first?.kind === 'name' && (first.text === 'class' || first.text === 'def') && second?.kind === 'name';
    if (header && line.tokens[line.tokens.length - 1]?.kind === 'op' && (line.tokens[line.tokens.length - 1] as { text: string }).text === ':') {
      const body = end > i + 1 ? readBlock(lines, i + 1, end, first.text === 'def') : {};
      if (first.text === 'class') set(second.text, body);
      else if (second.text === '__init__') for (const [k, v] of Object.entries(body)) set(k, v);
    } else if (line.indent === base) {
      const assigned = readAssignment(line.tokens, selfOnly);
      if (assigned) set(assigned[0], assigned[1]);
    }
    i = end;
  }
  return result;
}

/** `NAME = literal`, `NAME: T = literal`, `self.NAME = literal`; undefined for anything else. */
function readAssignment(tokens: Token[], selfOnly: boolean): [string, unknown] | undefined {
  let target: string | undefined;
  let pos: number;
  const isOp = (t: Token | undefined, text: string) => t?.kind === 'op' && t.text === text;
  if (tokens[0]?.kind === 'name' && tokens[0].text === 'self' && isOp(tokens[1], '.') && tokens[2]?.kind === 'name') {
    target = tokens[2].text;
    pos = 3;
  } else if (tokens[0]?.kind === 'name' && !selfOnly) {
    target = tokens[0].text;
    pos = 1;
  } else return undefined;
  if (isOp(tokens[pos], ':')) {
    // Annotation: skip to the `=` at bracket depth 0.
    let depth = 0;
    pos++;
    while (pos < tokens.length && !(depth === 0 && isOp(tokens[pos], '='))) {
      const t = tokens[pos]!;
      if (t.kind === 'op' && '([{'.includes(t.text)) depth++;
      if (t.kind === 'op' && ')]}'.includes(t.text)) depth--;
      pos++;
    }
  }
  if (!isOp(tokens[pos], '=')) return undefined;
  const rhs = tokens.slice(pos + 1);
  if (rhs.some((t) => isOp(t, '='))) return undefined; // a = b = 1
  const parsed = parseLiteral(rhs);
  return parsed === undefined ? undefined : [target, parsed.value];
}

/** A whole right-hand side as a literal (a bare `1, 2` is a tuple); undefined when it is not one. */
function parseLiteral(tokens: Token[]): { value: unknown } | undefined {
  let pos = 0;
  const NOT = Symbol('not a literal');
  const peek = () => tokens[pos];
  const isOp = (text: string) => peek()?.kind === 'op' && (peek() as { text: string }).text === text;

  const sequence = (close: string): unknown[] | typeof NOT => {
    const items: unknown[] = [];
    while (!isOp(close)) {
      const item = value();
      if (item === NOT) return NOT;
      items.push(item);
      if (isOp(',')) pos++;
      else if (!isOp(close)) return NOT;
    }
    pos++;
    return items;
  };

  const value = (): unknown => {
    const t = tokens[pos++];
    if (!t) return NOT;
    if (t.kind === 'number') return t.value;
    if (t.kind === 'string') {
      let text = t.value;
      let usable = t.usable;
      while (peek()?.kind === 'string') {
        const next = tokens[pos++] as Extract<Token, { kind: 'string' }>;
        text += next.value;
        usable &&= next.usable;
      }
      return usable ? text : NOT;
    }
    if (t.kind === 'name') {
      if (t.text === 'True') return true;
      if (t.text === 'False') return false;
      if (t.text === 'None') return null;
      return NOT;
    }
    if (t.text === '-' || t.text === '+') {
      const n = tokens[pos++];
      if (n?.kind !== 'number') return NOT;
      return t.text === '-' ? -n.value : n.value;
    }
    if (t.text === '[') return sequence(']');
    if (t.text === '(') {
      // `(x)` is x; `(x,)` and `()` are tuples.
      const start = pos;
      if (isOp(')')) {
        pos++;
        return [];
      }
      const inner = value();
      if (inner !== NOT && isOp(')')) {
        pos++;
        return inner;
      }
      pos = start;
      return sequence(')');
    }
    if (t.text === '{') {
      const dict: Record<string, unknown> = {};
      const start = pos;
      if (!isOp('}')) {
        const first = value();
        if (first !== NOT && (isOp(',') || isOp('}'))) {
          // A set: a list of its distinct members, in written order.
          pos = start;
          const members = sequence('}');
          return members === NOT ? NOT : members.filter((m, i) => members.findIndex((o) => JSON.stringify(o) === JSON.stringify(m)) === i);
        }
        pos = start;
      }
      while (!isOp('}')) {
        const key = value();
        if (key === NOT || typeof key === 'object' || !isOp(':')) return NOT;
        pos++;
        const item = value();
        if (item === NOT) return NOT;
        const name = key === null ? 'None' : key === true ? 'True' : key === false ? 'False' : String(key);
        Object.defineProperty(dict, name, { value: item, enumerable: true, writable: true, configurable: true });
        if (isOp(',')) pos++;
        else if (!isOp('}')) return NOT;
      }
      pos++;
      return dict;
    }
    return NOT;
  };

  const first = value();
  if (first === NOT) return undefined;
  if (pos === tokens.length) return { value: first };
  if (!isOp(',')) return undefined;
  // A bare tuple: `x = 1, 2`.
  const items = [first];
  while (isOp(',')) {
    pos++;
    if (pos === tokens.length) break;
    const item = value();
    if (item === NOT) return undefined;
    items.push(item);
  }
  return pos === tokens.length ? { value: items } : undefined;
}
