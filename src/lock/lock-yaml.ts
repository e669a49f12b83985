import { resolvesAsNonString } from '../config/yaml-value.js';

/**
 * `{[name]: value}` as block YAML with every line prefixed by `indent`: byte for byte what
 * `yaml.stringify(..., {lineWidth: 0, aliasDuplicateObjects: false})` writes, ~10x faster warm, more cold.
 * Covers the lock's shapes (maps, lists, numbers, bools, null, plain strings). Returns undefined as
 * soon as anything would need the library's judgement (a string it would quote or write as a block
 * scalar, a non-ASCII character, a value that is not plain data), and the caller uses the library.
 */
export function plainBlockYaml(name: string, value: unknown, indent: string): string | undefined {
  if (!isPlainKey(name)) return undefined;
  const rest = afterKey(value, indent);
  return rest === undefined ? undefined : `${indent}${name}:${rest}`;
}

/** What follows `key:` (leading space or line break included, final line break included). `indent` is the key's. */
function afterKey(value: unknown, indent: string): string | undefined {
  if (Array.isArray(value)) return value.length === 0 ? ' []\n' : prefixed('\n', sequence(value, `${indent}  `, false));
  if (isPlainObject(value)) return Object.keys(value).length === 0 ? ' {}\n' : prefixed('\n', mapping(value, `${indent}  `, false));
  const text = scalar(value);
  return text === undefined ? undefined : ` ${text}\n`;
}

/** What follows `- `. `indent` is that of the dash. */
function afterDash(value: unknown, indent: string): string | undefined {
  if (Array.isArray(value)) return value.length === 0 ? '[]\n' : sequence(value, `${indent}  `, true);
  if (isPlainObject(value)) return Object.keys(value).length === 0 ? '{}\n' : mapping(value, `${indent}  `, true);
  const text = scalar(value);
  return text === undefined ? undefined : `${text}\n`;
}

/** Entries at `indent`; with `inline`, the first one continues the current line (after `- `). */
function mapping(map: Record<string, unknown>, indent: string, inline: boolean): string | undefined {
  let out = '';
  for (const key of Object.keys(map)) {
    if (!isPlainKey(key)) return undefined;
    const rest = afterKey(map[key], indent);
    if (rest === undefined) return undefined;
    out += out === '' && inline ? `${key}:${rest}` : `${indent}${key}:${rest}`;
  }
  return out;
}

function sequence(items: readonly unknown[], indent: string, inline: boolean): string | undefined {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const rest = afterDash(items[i], indent);
    if (rest === undefined) return undefined;
    out += i === 0 && inline ? `- ${rest}` : `${indent}- ${rest}`;
  }
  return out;
}

const prefixed = (prefix: string, text: string | undefined) => (text === undefined ? undefined : prefix + text);

/** `yaml`'s number rendering (stringifyNumber) for values created from JS numbers. */
function scalar(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return isPlainString(value) ? value : undefined;
    case 'number':
      if (Number.isNaN(value)) return '.nan';
      if (!Number.isFinite(value)) return value < 0 ? '-.inf' : '.inf';
      return Object.is(value, -0) ? '-0' : JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return value === null ? 'null' : undefined;
  }
}

/**
 * Strings `yaml` writes plain, conservatively: printable ASCII; no indicator at the start (nor
 * `-`, `?`, `:`, which are sometimes allowed); no `: ` or ` #`; no trailing space or colon; no
 * document marker; nothing that would read back as null, a bool or a number.
 */
function isPlainString(s: string): boolean {
  return (
    PRINTABLE_ASCII.test(s) &&
    !INDICATOR_START.test(s) &&
    !s.includes(': ') &&
    !s.includes(' #') &&
    !s.endsWith(' ') &&
    !s.endsWith(':') &&
    !s.startsWith('---') &&
    !s.startsWith('...') &&
    !resolvesAsNonString(s)
  );
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const INDICATOR_START = /^[ ,[\]{}#&*!|>'"%@`?:-]/;

/** Keys additionally stay under `yaml`'s 1024-character limit for implicit keys. */
const isPlainKey = (key: string) => key.length < 1000 && isPlainString(key);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}
