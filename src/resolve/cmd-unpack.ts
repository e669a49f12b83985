import { err, ok, type Result } from '../model/result.js';
import { shellQuote } from '../util/shell-quote.js';

/** How a scalar reads inside a larger string: numbers as JS prints them, booleans as true/false. */
export function scalarToString(value: unknown): Result<string, string> {
  if (typeof value === 'string') return ok(value);
  if (typeof value === 'number' || typeof value === 'boolean') return ok(String(value));
  if (value === null || value === undefined) return err('is null');
  return err(Array.isArray(value) ? 'is a list' : 'is a mapping');
}

const isMapping = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function quotedScalar(value: unknown): Result<string, string> {
  const text = scalarToString(value);
  return text.ok ? ok(shellQuote(text.value)) : text;
}

function quotedList(list: unknown[]): Result<string[], string> {
  const words: string[] = [];
  for (const item of list) {
    const word = quotedScalar(item);
    if (!word.ok) return err(`contains an item that ${word.error}`);
    words.push(word.value);
  }
  return ok(words);
}

/**
 * A dict in `cmd` becomes argparse-style arguments, as in DVC: `--k v`, nested `--a.b v`,
 * `true` -> `--k`, `false`/null -> omitted, list -> `--k a b`.
 */
export function unpackArgs(dict: Record<string, unknown>, prefix = ''): Result<string[], string> {
  const args: string[] = [];
  for (const [key, value] of Object.entries(dict)) {
    const flag = shellQuote(`--${prefix}${key}`);
    if (value === false || value === null || value === undefined) continue;
    if (value === true) {
      args.push(flag);
    } else if (isMapping(value)) {
      const nested = unpackArgs(value, `${prefix}${key}.`);
      if (!nested.ok) return nested;
      args.push(...nested.value);
    } else if (Array.isArray(value)) {
      if (value.length === 0) continue;
      const words = quotedList(value);
      if (!words.ok) return err(`"${prefix}${key}" ${words.error}`);
      args.push(flag, ...words.value);
    } else {
      const word = quotedScalar(value);
      if (!word.ok) return err(`"${prefix}${key}" ${word.error}`);
      args.push(flag, word.value);
    }
  }
  return ok(args);
}

/** Text of an interpolated value inside `cmd`: dicts unpack, lists join shell-quoted, scalars verbatim. */
export function cmdText(value: unknown): Result<string, string> {
  if (isMapping(value)) {
    const args = unpackArgs(value);
    return args.ok ? ok(args.value.join(' ')) : args;
  }
  if (Array.isArray(value)) {
    const words = quotedList(value);
    return words.ok ? ok(words.value.join(' ')) : words;
  }
  return scalarToString(value);
}
