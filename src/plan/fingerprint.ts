import { createHash } from 'node:crypto';
import type { ObservedEnvironment } from '../model/environment.js';
import type { Stage } from '../model/stage.js';
import { canonicalJson } from '../util/canonical-json.js';
import { setOwn } from '../util/null-record.js';

/**
 * Version 1 still: `tools` appears only for stages that declare tools, so every fingerprint of a
 * stage without them is byte for byte what it was before tools existed (caches stay valid).
 */
export const FINGERPRINT_VERSION = 1;

/** Everything that determines a stage's outputs, as inputs to `stageFingerprint`. */
export interface FingerprintInput {
  stage: Stage;
  /** Current hash of every declared dep (all must exist to fingerprint). */
  depHashes: ReadonlyMap<string, string>;
  /** The environment as the stage's executor describes it, with its tool versions. */
  environment: ObservedEnvironment;
  /** Absolute workspace root; used only for stages that embed absolute paths. */
  root: string;
}

export interface StageFingerprint {
  /** Ordered, versioned JSON: two fingerprints compare as strings and diff line by line. */
  text: string;
  /** sha256 of `text`: the run-cache key. */
  key: string;
}

/**
 * The cache key of a stage run. Where the command runs (this machine, a Slurm node) and the
 * absolute workspace path are deliberately absent, so a sweep workspace or a cluster run hits the
 * same entry; stages that embed absolute paths opt back in to the root. The declared env and the
 * environment id come from the executor (`describeEnvironment`): no executor kind is checked here.
 */
export function stageFingerprint(input: FingerprintInput): StageFingerprint {
  const { stage, environment } = input;
  const tools = Object.entries(environment.tools)
    .map(([name, t]) => [name, t.hash])
    .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
  const fields = {
    v: FINGERPRINT_VERSION,
    cmd: stage.cmd,
    wdir: stage.wdir,
    deps: [...input.depHashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    params: paramsByFile(stage),
    outs: stage.outs.map((o) => [o.path, o.cache, o.persist]).sort(),
    env: Object.entries(environment.env).sort(([a], [b]) => (a < b ? -1 : 1)),
    environment: environment.id,
    ...(tools.length > 0 ? { tools } : {}),
    ...(stage.absolutePaths ? { root: input.root } : {}),
  };
  // Object fields are written in the literal order above; only nested values are canonicalized.
  const text = JSON.stringify(fields, (key, value) => (key === 'params' ? JSON.parse(canonicalJson(value)) : value), 1);
  return { text, key: createHash('sha256').update(text).digest('hex') };
}

/** params file -> tracked key -> value, the shape the lock stores. Whole-file params expand to top-level keys. */
export function paramsByFile(stage: Stage): Record<string, Record<string, unknown>> {
  const byFile: Record<string, Record<string, unknown>> = {};
  for (const p of stage.params) {
    if (!Object.hasOwn(byFile, p.file)) setOwn(byFile, p.file, {});
    const file = byFile[p.file]!;
    if (p.key === '' && p.value !== null && typeof p.value === 'object' && !Array.isArray(p.value)) {
      for (const [k, v] of Object.entries(p.value)) setOwn(file, k, v);
    } else {
      setOwn(file, p.key, p.value);
    }
  }
  return byFile;
}
