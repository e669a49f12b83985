import type { SourceSpan } from './diagnostic.js';

export type ExecutorKind = 'local' | 'docker' | 'slurm';

/** A path a stage reads. `path` is POSIX, relative to the workspace root, normalized (no `.`/`..`). */
export interface DepSpec {
  path: string;
  span?: SourceSpan;
}

export type OutKind = 'out' | 'metric' | 'plot';

export interface OutSpec {
  path: string;
  kind: OutKind;
  /** Store in the content-addressed cache (default true; metrics/plots default true too, as in DVC). */
  cache: boolean;
  /** Do not delete before the stage runs (checkpoints). */
  persist: boolean;
  /** A plot's DVC properties (`x`, `y`, `template`, ...) as written; several sets make several plots. */
  plot?: PlotProps[];
  span?: SourceSpan;
}

/** DVC's plot properties of a stage's `plots:` entry (dvc/schema.py PLOT_PROPS). */
export interface PlotProps {
  x?: string;
  y?: string;
  template?: string;
  title?: string;
  x_label?: string;
  y_label?: string;
  header?: boolean;
}

/** One tracked parameter with its current value (read from the params file at resolve time). */
export interface ParamValue {
  /** Params file, relative to the root (e.g. `params.yaml`). */
  file: string;
  /** Dotted key (`model.heads`); the empty string means the whole file. */
  key: string;
  value: unknown;
  span?: SourceSpan;
}

/** `container:` settings (defaults merged with the stage's own), as validated by the schema. */
export interface ContainerSpec {
  image?: string;
  /** `host[:container][:ro|rw]`; the container path defaults to the host path. */
  mounts?: string[];
  env?: Record<string, string>;
  /** Names of variables copied from the caller's environment when set there. */
  env_passthrough?: string[];
  /** `uid:gid` or a name known inside the image; default: the caller's uid:gid. */
  user?: string;
  /** Default: the stage's wdir, mounted at its identical absolute path. */
  workdir?: string;
  /** Bytes, or a size such as `8g`. */
  shm_size?: string | number;
  network?: string;
  /** A GPU count, `all`, or `device=0,1`. */
  gpus?: string | number;
  [key: string]: unknown;
}

/** `slurm:` settings (defaults merged with the stage's own, key by key), as validated by the schema. */
export interface SlurmSpec {
  partition?: string;
  /** Slurm time limit: minutes, `HH:MM:SS`, `D-HH:MM`, ... */
  time?: string | number;
  account?: string;
  qos?: string;
  constraint?: string;
  /** e.g. `gpu:1`. */
  gres?: string;
  /** Passed to sbatch after everything else, so they win. */
  sbatch_args?: string[];
  /** Shell commands run in the job before the stage's commands (`module load vivado/2023.1`). */
  setup?: string | string[];
  /** How often a job ended by NODE_FAIL or PREEMPTED is submitted again (default 1). */
  retries?: number;
}

/** A fully resolved stage: templating done, foreach/matrix expanded, paths normalized. */
export interface Stage {
  /** e.g. `train`, `build@4`, `build@heads-2`. */
  name: string;
  /** Rendered commands, run in order through `sh -c`, stopping at the first failure. */
  cmd: string[];
  /** Working directory relative to the root, POSIX, `.` for the root. */
  wdir: string;
  deps: DepSpec[];
  params: ParamValue[];
  /** outs, metrics and plots together, distinguished by `kind`. */
  outs: OutSpec[];
  env: Record<string, string>;
  executor: ExecutorKind;
  container?: ContainerSpec;
  /** Only meaningful with `executor: slurm`; never part of the fingerprint (where a stage runs is not). */
  slurm?: SlurmSpec;
  /**
   * `tools:` (defaults merged with the stage's own, key by key): name -> command whose output
   * identifies the tool's version; run once per run in the stage's environment, part of the fingerprint.
   */
  tools?: Record<string, string>;
  resources: Record<string, number>;
  alwaysChanged: boolean;
  frozen: boolean;
  /** Outputs embed the absolute workspace path: never restore them into a different root. */
  absolutePaths: boolean;
  desc?: string;
  /** Where the stage is defined (its key in pipeline.yaml). */
  span?: SourceSpan;
}

/** How outputs are brought back from the cache, in order of preference. */
export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';

/** Everything resolve produces from pipeline.yaml + params. */
export interface Pipeline {
  stages: Stage[];
  /** Global scheduler capacities from `resources:`. */
  resources: Record<string, number>;
  /** `cache: {type: ...}`; absent means the safe default. */
  linkTypes?: LinkType[];
  /** DVC's top-level `params:`: params files (root-relative) that `params diff` shows besides the stages' own. */
  paramsFiles?: string[];
  /** DVC's top-level `metrics:`: metrics files (root-relative) that `metrics show/diff` read besides the stages' own. */
  metricsFiles?: string[];
  /** DVC's top-level `plots:` as written: a path, or `{id: {x, y, template, ...}}` (see src/report/plots). */
  plots?: unknown[];
  /** Vars files templating read (top-level and stage `vars:`), root-relative: `params diff` shows them, as DVC does. */
  varsFiles?: string[];
  /** Accepted DVC keys with no behaviour here (`artifacts`, `outs: push`, ...), sorted; status and doctor name them. */
  inertKeys?: string[];
}
