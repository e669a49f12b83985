/** A position in a source file, 1-based line and column, end exclusive. */
export interface SourceSpan {
  /** Path relative to the workspace root (e.g. `pipeline.yaml`). */
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

/** Closed set of diagnostic codes; the renderer never needs to parse messages. */
export type DiagnosticCode =
  | 'yaml-syntax'
  | 'file-missing'
  | 'file-unreadable'
  | 'unknown-key'
  | 'invalid-type'
  | 'invalid-value'
  | 'undefined-variable'
  | 'invalid-interpolation'
  | 'duplicate-stage'
  | 'missing-param'
  | 'cycle'
  | 'overlapping-outs'
  | 'self-dependency'
  | 'path-escapes-workspace'
  | 'protected-output'
  | 'invalid-path'
  | 'limit-exceeded'
  | 'unknown-target'
  | 'unknown-executor'
  | 'docker-unavailable'
  | 'image-missing'
  | 'mount-missing'
  | 'slurm-unavailable';

export interface RelatedInformation {
  message: string;
  span?: SourceSpan;
}

export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  span?: SourceSpan;
  /** Extra locations, e.g. every edge of a cycle or the other owner of an overlapping out. */
  related?: RelatedInformation[];
  hint?: string;
}
