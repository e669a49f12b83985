import { createHash } from 'node:crypto';
import type { Stage } from '../model/stage.js';
import { canonicalJson } from '../util/canonical-json.js';
import { setOwn } from '../util/null-record.js';

export const FINGERPRINT_VERSION = 1;

/** Everything that determines a stage's outputs, as inputs to `stageFingerprint`. */
export interface FingerprintInput {
  stage: Stage;
  /** Current hash of every declared dep (all must exist to fingerprint). */
  depHashes: ReadonlyMap<string, string>;
  /** "host" or the container image digest. */
  environment: string;
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
 * same entry; stages that embed absolute paths opt back in to the root.
 */
export function stageFingerprint(input: FingerprintInput): StageFingerprint {
  const { stage } = input;
  const fields = {
    v: FINGERPRINT_VERSION,
    cmd: stage.cmd,
    wdir: stage.wdir,
    deps: [...input.depHashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    params: paramsByFile(stage),
    outs: stage.outs.map((o) => [o.path, o.cache, o.persist]).sort(),
    env: Object.entries(declaredEnv(stage)).sort(([a], [b]) => (a < b ? -1 : 1)),
    environment: input.environment,
    ...(stage.absolutePaths ? { root: input.root } : {}),
  };
  // Object fields are written in the literal order above; only nested values are canonicalized.
  const text = JSON.stringify(fields, (key, value) => (key === 'params' ? JSON.parse(canonicalJson(value)) : value), 1);
  return { text, key: createHash('sha256').update(text).digest('hex') };
}

/**
 * The environment a stage declares: its `env`, plus `container.env` for container stages (which the
 * container sees on top). Both shape the command's results, so both are in the fingerprint and lock;
 * passed-through variables (licenses, credentials) are deliberately not.
 */
export function declaredEnv(stage: Stage): Record<string, string> {
  if (stage.executor !== 'docker' || !stage.container?.env) return stage.env;
  return { ...stage.env, ...stage.container.env };
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
