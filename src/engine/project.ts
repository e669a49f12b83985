import { fsProjectFiles, type ProjectFiles } from '../config/project-files.js';
import { loadPipeline } from '../config/load.js';
import { collectPipelineFiles } from '../config/pipeline-files.js';
import { buildGraph, type StageGraph } from '../graph/stage-graph.js';
import { selectStages, type SelectOptions } from '../graph/select.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import type { Pipeline } from '../model/stage.js';
import { findSymlinkEscapes } from '../workspace/path-escape.js';

/** A workspace's pipeline, resolved and validated: what every command that plans or runs starts from. */
export interface Project {
  root: string;
  files: ProjectFiles;
  /** Every config file the loader read or looked for (pipeline.yaml, params and vars files): what watch mode watches. */
  configFiles: string[];
  /** The pipeline files: `pipeline.yaml`, or every `dvc.yaml` of the repository (root-relative). */
  pipelineFiles: string[];
  pipeline: Pipeline;
  graph: StageGraph;
}

/** Why a project cannot be used, with what a renderer needs to point at the source. */
export interface ProjectProblem {
  diagnostics: readonly Diagnostic[];
  files: ProjectFiles;
  /** The config files read before the problem was found (watch mode keeps watching them). */
  configFiles: string[];
}

/** Loads, resolves and validates the pipeline of `root` (load → resolve → graph → path checks). Never throws on bad input. */
export function loadProject(root: string, env: Record<string, string | undefined> = process.env): Result<Project, ProjectProblem> {
  const read = new Set<string>();
  const inner = fsProjectFiles(root);
  const files: ProjectFiles = {
    readText: (rel) => {
      read.add(rel);
      return inner.readText(rel);
    },
    outsideRoot: (rel) => inner.outsideRoot?.(rel),
  };
  const problem = (diagnostics: readonly Diagnostic[]) => err({ diagnostics, files, configFiles: [...read].sort() });
  const pipelineFiles = collectPipelineFiles(root);
  for (const file of pipelineFiles) read.add(file);
  const loaded = loadPipeline(files, { env, pipelineFiles });
  if (!loaded.ok) return problem(loaded.error);
  const graph = buildGraph(loaded.value.stages);
  if (!graph.ok) return problem(graph.error);
  const escapes = findSymlinkEscapes(root, loaded.value.stages);
  if (escapes.length > 0) return problem(escapes);
  return ok({ root, files, configFiles: [...read].sort(), pipelineFiles, pipeline: loaded.value, graph: graph.value });
}

/** The stages `targets` name (all when none), in topological order. */
export function selectTargets(project: Project, targets: readonly string[], opts: SelectOptions): Result<string[], ProjectProblem> {
  const selected = selectStages(project.graph, targets, opts);
  return selected.ok ? selected : err({ diagnostics: selected.error, files: project.files, configFiles: project.configFiles });
}
