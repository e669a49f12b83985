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

/**
 * The values of one axis, DVC/Hydra style: a YAML list; `range(start, stop[, step])` (stop
 * excluded, as in Python; `range(stop)` starts at 0); `choice(a, b, c)`; `a,b,c`; or one value.
 * Items are parsed as YAML scalars, so `2` is a number and `true` a boolean.
 */
export function parseAxisValues(spec: unknown): Result<unknown[], string> {
  if (Array.isArray(spec)) return spec.length > 0 ? ok(spec) : err('an axis needs at least one value');
  if (typeof spec !== 'string') return ok([spec]);
  const text = spec.trim();
  const call = /^(range|choice)\s*\((.*)\)$/s.exec(text);
  if (call) {
    const args = splitArgs(call[2]!);
    if (call[1] === 'choice') {
      if (args.length === 0 || args.some((a) => a === '')) return err(`"${text}": choice needs values, e.g. choice(2, 4, 8)`);
      return ok(args.map(scalar));
    }
    return rangeValues(text, args);
  }
  if (text.includes(',')) {
    const items = splitArgs(text);
    if (items.some((a) => a === '')) return err(`"${text}": empty value in the list`);
    return ok(items.map(scalar));
  }
  return ok([scalar(text)]);
}

function rangeValues(text: string, args: string[]): Result<unknown[], string> {
  const nums = args.map(Number);
  if (args.length < 1 || args.length > 3 || args.some((a) => a === '') || nums.some((n) => !Number.isFinite(n))) {
    return err(`"${text}": expected range(start, stop, step) with numbers`);
  }
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

/** Splits on commas outside quotes and brackets. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let current = '';
  for (const c of text) {
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{' || c === '(') depth++;
    else if (c === ']' || c === '}' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim() !== '' || out.length > 0) out.push(current.trim());
  return out;
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
