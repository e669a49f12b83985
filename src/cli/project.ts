import type { ProjectFiles } from '../config/project-files.js';
import type { SelectOptions } from '../graph/select.js';
import type { Diagnostic } from '../model/diagnostic.js';
import type { ExecutorKind, LinkType } from '../model/stage.js';
import { LINK_TYPES } from '../config/schema.js';
import { loadProject as loadResolvedProject, selectTargets, type Project } from '../engine/project.js';
import { renderDiagnostic } from '../ui/diagnostics.js';
import type { Executor } from '../exec/executor.js';
import { createExecutors, missingExecutors } from '../exec/registry.js';
import { EXIT, type Io } from './io.js';

export type { Project } from '../engine/project.js';

/** Loads and validates everything a command needs; on bad input prints diagnostics and gives exit 2. */
export function loadProject(root: string, io: Io): Project | number {
  const loaded = loadResolvedProject(root);
  return loaded.ok ? loaded.value : report(loaded.error.diagnostics, loaded.error.files, io);
}

export function select(project: Project, targets: readonly string[], opts: SelectOptions, io: Io): string[] | number {
  const selected = selectTargets(project, targets, opts);
  return selected.ok ? selected.value : report(selected.error.diagnostics, selected.error.files, io);
}

export interface Selection {
  project: Project;
  /** Selected stage names, topological order. */
  selected: string[];
  executors: Map<ExecutorKind, Executor>;
}

/** Project + target selection + executors, for commands that plan or run stages. */
export function loadSelection(root: string, targets: readonly string[], opts: SelectOptions, io: Io): Selection | number {
  const project = loadProject(root, io);
  if (typeof project === 'number') return project;
  const selected = select(project, targets, opts, io);
  if (typeof selected === 'number') return selected;
  const executors = createExecutors();
  const missing = missingExecutors(selected.map((n) => project.graph.stages.get(n)!), executors);
  if (missing.length > 0) return report(missing, project.files, io);
  return { project, selected, executors };
}

export function report(diagnostics: readonly Diagnostic[], files: ProjectFiles, io: Io): number {
  for (const d of diagnostics) io.err(`${renderDiagnostic(d, files)}\n`);
  return EXIT.invalid;
}

/**
 * Restore link types: `ORCHESTRATOR_CACHE_TYPE` (a per-machine choice, e.g. `hardlink,copy` on a
 * scratch filesystem) overrides pipeline.yaml's `cache: {type: ...}`; neither means the safe default.
 */
export function cacheLinkTypes(project: Project, io: Io): LinkType[] | undefined | number {
  const fromEnv = process.env.ORCHESTRATOR_CACHE_TYPE;
  if (fromEnv === undefined || fromEnv.trim() === '') return project.pipeline.linkTypes;
  const types = fromEnv.split(',').map((t) => t.trim());
  const bad = types.filter((t) => !LINK_TYPES.includes(t as LinkType));
  if (bad.length === 0) return types as LinkType[];
  io.err(`error: ORCHESTRATOR_CACHE_TYPE: unknown link type ${bad.map((b) => `"${b}"`).join(', ')}; use reflink, hardlink, symlink or copy\n`);
  return EXIT.invalid;
}
