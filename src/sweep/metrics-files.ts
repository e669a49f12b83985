import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Pipeline } from '../model/stage.js';
import { err, ok, type Result } from '../model/result.js';
import { isMapping } from '../resolve/params-files.js';
import { setOwn } from '../util/null-record.js';

/** A metric or param leaf: what a table cell can hold. */
export type Scalar = string | number | boolean | null;

/** Flattens nested mappings and lists to dotted keys (`resources.LUT`, `layers.0.PE`), in key order. */
export function flatten(value: unknown, prefix = '', out: Record<string, Scalar> = {}): Record<string, Scalar> {
  if (isMapping(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, prefix === '' ? String(i) : `${prefix}.${i}`, out));
  } else if (prefix !== '') {
    setOwn(out, prefix, value === undefined ? null : (value as Scalar));
  }
  return out;
}

/** A metrics file's text (YAML or JSON, JSON being YAML) flattened; an empty file has no metrics. */
export function parseMetricsText(file: string, text: string): Result<Record<string, Scalar>, string> {
  try {
    const value = parseYaml(text) as unknown;
    if (value === null || value === undefined) return ok({});
    if (!isMapping(value) && !Array.isArray(value)) return err(`${file}: expected a mapping of metrics`);
    return ok(flatten(value));
  } catch (e) {
    return err(`${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** The pipeline's metrics files (`metrics:` of every stage, and DVC's top-level `metrics:` list), root-relative, sorted. */
export function metricsPaths(pipeline: Pipeline): string[] {
  const fromStages = pipeline.stages.flatMap((s) => s.outs.filter((o) => o.kind === 'metric').map((o) => o.path));
  return [...new Set([...fromStages, ...(pipeline.metricsFiles ?? [])])].sort();
}

export interface MetricsFile {
  path: string;
  values: Record<string, Scalar>;
  /** Missing or unreadable: shown, never fatal for a report. */
  error?: string;
}

/**
 * Reads metrics files through `read` (the workspace, a git revision, a variant). A reader that
 * throws says why a file it knows of cannot be read; that becomes the file's error.
 */
export async function readMetrics(paths: readonly string[], read: (rel: string) => Promise<string | undefined>): Promise<MetricsFile[]> {
  const out: MetricsFile[] = [];
  for (const p of paths) {
    let text: string | undefined;
    try {
      text = await read(p);
    } catch (e) {
      out.push({ path: p, values: {}, error: (e as Error).message });
      continue;
    }
    if (text === undefined) {
      out.push({ path: p, values: {}, error: 'missing' });
      continue;
    }
    const parsed = parseMetricsText(p, text);
    out.push(parsed.ok ? { path: p, values: parsed.value } : { path: p, values: {}, error: parsed.error });
  }
  return out;
}

export function workspaceReader(root: string): (rel: string) => Promise<string | undefined> {
  return (rel) => readFile(path.join(root, rel), 'utf8').catch(() => undefined);
}

/**
 * One flat mapping for a table row: metric keys as they are, unless two files have the same key,
 * then both are written `file:key`.
 */
export function mergeMetrics(files: readonly MetricsFile[]): Record<string, Scalar> {
  const counts = new Map<string, number>();
  for (const f of files) for (const k of Object.keys(f.values)) counts.set(k, (counts.get(k) ?? 0) + 1);
  const out: Record<string, Scalar> = {};
  for (const f of files) for (const [k, v] of Object.entries(f.values)) setOwn(out, counts.get(k)! > 1 ? `${f.path}:${k}` : k, v);
  return out;
}

/**
 * The sweep's `metrics_files:`: each file flattened under its prefix (`breakdown.MVAU.LUT`), only
 * its `key` section when given. A missing or unreadable file contributes nothing.
 */
export async function readTableFiles(files: readonly { prefix: string; path: string; key?: string }[], read: (rel: string) => Promise<string | undefined>): Promise<Record<string, Scalar>> {
  const out: Record<string, Scalar> = {};
  for (const f of files) {
    const text = await read(f.path).catch(() => undefined);
    if (text === undefined) continue;
    let value: unknown;
    try {
      value = parseYaml(text) as unknown;
    } catch {
      continue;
    }
    if (f.key !== undefined) {
      for (const part of f.key.split('.')) value = isMapping(value) ? value[part] : undefined;
    }
    if (value !== undefined) flatten(value, f.prefix, out);
  }
  return out;
}
