import { createRequire } from 'node:module';
import { yamlLib } from '../util/yaml-lib.js';
import { err, ok, type Result } from '../model/result.js';
import { parsePythonParams } from './python-params.js';

/** How a params or vars file is read, by extension, as DVC picks its loader (dvc/utils/serialize LOADERS). */
export type ParamsFormat = 'yaml' | 'json' | 'toml' | 'python';

/** `.toml` and `.py` have their own readers, `.json` is JSON; anything else is YAML, as in DVC. */
export function paramsFormat(file: string): ParamsFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.toml')) return 'toml';
  if (lower.endsWith('.py')) return 'python';
  if (lower.endsWith('.json')) return 'json';
  return 'yaml';
}

/**
 * Parses a TOML or Python params file to plain data. TOML dates and times become their text
 * (`1979-05-27T07:32:00Z`), so they compare, print and hash like any string. `smol-toml` is loaded
 * on first use (resolving is synchronous, hence `require`): most projects have no TOML file.
 */
let toml: typeof import('smol-toml') | undefined;
const tomlLibrary = (): typeof import('smol-toml') => (toml ??= createRequire(import.meta.url)('smol-toml') as typeof import('smol-toml'));

export function parseNonYamlParams(file: string, text: string, format: 'toml' | 'python'): Result<unknown, string> {
  if (format === 'python') {
    const parsed = parsePythonParams(text);
    return parsed.ok ? parsed : err(`${file}: ${parsed.error}`);
  }
  try {
    return ok(plainToml(tomlLibrary().parse(text)));
  } catch (e) {
    return err(`${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}

function plainToml(value: unknown): unknown {
  if (value instanceof Date) return (value as Date & { toISOString(): string }).toISOString();
  if (Array.isArray(value)) return value.map(plainToml);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: plainToml(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** Any params or metrics file's text to plain data, by its extension (YAML for unknown ones, as DVC). */
export function parseDataText(file: string, text: string): Result<unknown, string> {
  const format = paramsFormat(file);
  if (format === 'toml' || format === 'python') return parseNonYamlParams(file, text, format);
  try {
    return ok(yamlLib().parse(text) as unknown);
  } catch (e) {
    return err(`${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}
