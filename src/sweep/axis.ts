import { parse as parseYamlValue } from 'yaml';
import { err, ok, type Result } from '../model/result.js';

/**
 * One swept parameter: a `params.yaml` key (or `file.yaml:key`), and whether it may be added to a
 * params file that does not have it (`+key`, Hydra's and DVC's override syntax).
 */
export interface ParamKey {
  /** Params file relative to the root; `params.yaml` unless the key says `file:key`. */
  file: string;
  /** Dotted path inside the file (`model.num_heads`, `layers.0.width`). */
  key: string;
  /** `+key`: add the key when the file lacks it (otherwise that is an error, to catch typos). */
  add: boolean;
}

export const DEFAULT_PARAMS_FILE = 'params.yaml';

/** `+params.yaml:model.bits` -> {file, key, add}. */
export function parseParamKey(text: string): Result<ParamKey, string> {
  let rest = text.trim();
  const add = rest.startsWith('+');
  if (add) rest = rest.slice(1);
  let file = DEFAULT_PARAMS_FILE;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1) {
    file = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
    if (!/\.(ya?ml|json)$/i.test(file)) return err(`"${text}": "${file}" is not a params file (.yaml, .yml or .json)`);
  }
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(rest)) return err(`"${text}" is not a parameter key (expected e.g. model.bits or params.yaml:model.bits)`);
  return ok({ file, key: rest, add });
}

/** How a key is shown: `model.bits`, or `other.yaml:model.bits` when it is not in params.yaml. */
export function paramKeyLabel(k: Pick<ParamKey, 'file' | 'key'>): string {
  return k.file === DEFAULT_PARAMS_FILE ? k.key : `${k.file}:${k.key}`;
}

/** Why an axis expression is malformed; `offset`/`length` locate the fault inside the text. */
export interface AxisProblem {
  message: string;
  offset?: number;
  length?: number;
}

/**
 * The values of one axis, DVC/Hydra style: a YAML list; `range(start, stop[, step])` (stop
 * excluded, as in Python; `range(stop)` starts at 0); `choice(a, b, c)`; `a,b,c`; or one value.
 * Items are parsed as YAML scalars, so `2` is a number and `true` a boolean. Parsed strictly: text
 * that starts like a call (`range(1,5`, `rnage(1, 5)`) or has an unclosed quote or bracket is an
 * error, never silently a string.
 */
export function parseAxisValues(spec: unknown): Result<unknown[], string> {
  const parsed = parseAxisExpression(spec);
  return parsed.ok ? parsed : err(parsed.error.message);
}

/** `parseAxisValues` with the fault's position inside the text. */
export function parseAxisExpression(spec: unknown): Result<unknown[], AxisProblem> {
  if (Array.isArray(spec)) return spec.length > 0 ? ok(spec) : err({ message: 'an axis needs at least one value' });
  if (typeof spec !== 'string') return ok([spec]);
  const call = parseCall(spec);
  if (call !== undefined) return call;
  const lead = spec.length - spec.trimStart().length;
  const text = spec.trim();
  if (text.includes(',')) {
    const items = splitArgs(text);
    if (!items.ok) return err({ message: `"${text}": ${items.error.message}`, offset: lead + items.error.offset, length: 1 });
    if (items.value.some((a) => a === '')) return err({ message: `"${text}": empty value in the list` });
    return ok(items.value.map(scalar));
  }
  return ok([scalar(text)]);
}

/** True when a value is written as a call, `range(...)`/`choice(...)` or a malformed attempt at one. */
export function looksLikeCall(value: unknown): value is string {
  return typeof value === 'string' && /^\s*[A-Za-z_]\w*\s*\(/.test(value);
}

/**
 * `range(...)`/`choice(...)`; undefined when the text is not a call at all. Anything that starts
 * like a call must be a well-formed one: an unknown function, a missing `)`, text after it and bad
 * arguments are errors with their position.
 */
function parseCall(spec: string): Result<unknown[], AxisProblem> | undefined {
  const head = /^(\s*)([A-Za-z_]\w*)\s*\(/.exec(spec);
  if (!head) return undefined;
  const lead = head[1]!;
  const name = head[2]!;
  const text = spec.trim();
  if (name !== 'range' && name !== 'choice') {
    return err({ message: `"${text}": unknown function ${name}() (use range(start, stop, step) or choice(a, b, c))`, offset: lead.length, length: name.length });
  }
  const open = head[0].length - 1;
  const close = matchingParen(spec, open);
  if (close === undefined) return err({ message: `"${text}": missing ")"`, offset: spec.trimEnd().length, length: 1 });
  const after = spec.slice(close + 1);
  if (after.trim() !== '') return err({ message: `"${text}": unexpected text after ")"`, offset: close + 1 + (after.length - after.trimStart().length), length: after.trim().length });
  const args = splitArgs(spec.slice(open + 1, close));
  if (!args.ok) return err({ message: `"${text}": ${args.error.message}`, offset: open + 1 + args.error.offset, length: 1 });
  if (name === 'choice') {
    if (args.value.length === 0 || args.value.some((a) => a === '')) return err({ message: `"${text}": choice needs values, e.g. choice(2, 4, 8)`, offset: lead.length, length: text.length });
    return ok(args.value.map(scalar));
  }
  const r = rangeValues(text, args.value);
  return r.ok ? r : err({ message: r.error, offset: open + 1, length: Math.max(1, close - open - 1) });
}

/** The `)` closing the `(` at `open`, skipping quoted text and nested brackets; undefined if none. */
function matchingParen(text: string, open: number): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) return c === ')' ? i : undefined;
    }
  }
  return undefined;
}

function rangeValues(text: string, args: string[]): Result<unknown[], string> {
  const nums = args.map((a) => (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(a) ? Number(a) : NaN));
  if (args.length < 1 || args.length > 3) return err(`"${text}": range takes 1 to 3 numbers (start, stop, step), got ${args.length}`);
  const bad = args.findIndex((a, i) => a === '' || !Number.isFinite(nums[i]!));
  if (bad !== -1) return err(`"${text}": argument ${bad + 1} of range (${args[bad] === '' ? 'empty' : JSON.stringify(args[bad])}) is not a number`);
  const [start, stop, step] = nums.length === 1 ? [0, nums[0]!, 1] : [nums[0]!, nums[1]!, nums[2] ?? 1];
  if (step === 0) return err(`"${text}": step must not be 0`);
  const values: number[] = [];
  // Multiply instead of accumulating so float steps do not drift (0.1 * 3, not 0.1 + 0.1 + 0.1).
  for (let i = 0; ; i++) {
    const v = roundFloat(start + i * step);
    if (step > 0 ? v >= stop : v <= stop) break;
    values.push(v);
    if (values.length > 100_000) return err(`"${text}": more than 100000 values`);
  }
  if (values.length === 0) return err(`"${text}" is empty`);
  return ok(values);
}

const roundFloat = (v: number): number => (Number.isInteger(v) ? v : Number(v.toPrecision(12)));

/** Splits on commas outside quotes and brackets; an unclosed quote or bracket is an error at its offset. */
function splitArgs(text: string): Result<string[], { message: string; offset: number }> {
  const out: string[] = [];
  const open: { c: string; at: number }[] = [];
  let quote: { c: string; at: number } | undefined;
  let current = '';
  const pairs: Record<string, string> = { ']': '[', '}': '{', ')': '(' };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote.c) quote = undefined;
    } else if (c === '"' || c === "'") quote = { c, at: i };
    else if (c === '[' || c === '{' || c === '(') open.push({ c, at: i });
    else if (c === ']' || c === '}' || c === ')') {
      if (open.pop()?.c !== pairs[c]) return err({ message: `unbalanced "${c}"`, offset: i });
    } else if (c === ',' && open.length === 0) {
      out.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (quote) return err({ message: `unclosed ${quote.c}`, offset: quote.at });
  const last = open[open.length - 1];
  if (last) return err({ message: `unclosed "${last.c}"`, offset: last.at });
  if (current.trim() !== '' || out.length > 0) out.push(current.trim());
  return ok(out);
}

/** A command-line or axis value as YAML would read it: `8` -> 8, `true` -> true, `a b` -> "a b". */
export function scalar(text: string): unknown {
  try {
    return parseYamlValue(text) as unknown;
  } catch {
    return text;
  }
}

/** `-S key=values`: the key and its axis values. */
export function parseSetArgument(arg: string): Result<{ key: ParamKey; values: unknown[] }, string> {
  const eq = arg.indexOf('=');
  if (eq <= 0) return err(`-S ${arg}: expected key=value, e.g. -S model.bits=4 or -S 'model.seq_len=range(32,513,32)'`);
  const key = parseParamKey(arg.slice(0, eq));
  if (!key.ok) return err(`-S ${arg}: ${key.error}`);
  const values = parseAxisValues(arg.slice(eq + 1));
  if (!values.ok) return err(`-S ${arg}: ${values.error}`);
  return ok({ key: key.value, values: values.value });
}
