import type { Diagnostic } from '../model/diagnostic.js';
import { err, ok, type Result } from '../model/result.js';
import type { Pipeline } from '../model/stage.js';
import type { ProjectFiles } from './project-files.js';
import { parseYamlSource } from './yaml-document.js';
import { DataFiles } from '../resolve/params-files.js';
import { finish, resolvePipeline } from '../resolve/resolve.js';
import { findProtectedOutputs } from '../resolve/protected-outputs.js';
import { DVC_FILE, PIPELINE_FILE, pipelineFileBase, stageNamePrefix } from './pipeline-files.js';

export interface LoadOptions {
  /** Relative to the root; default `pipeline.yaml`. Other paths stay relative to the root. */
  pipelineFile?: string;
  /**
   * Several pipeline files forming one pipeline (every dvc.yaml of a DVC repository, see
   * `collectPipelineFiles`); each resolves against its own folder. Overrides `pipelineFile`.
   */
  pipelineFiles?: readonly string[];
  /** The environment `${env.NAME}` reads (the CLI passes process.env); default: empty. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Reads, validates and resolves the pipeline. Never throws on bad input: problems come back as diagnostics. */
export function loadPipeline(files: ProjectFiles, opts: LoadOptions = {}): Result<Pipeline, Diagnostic[]> {
  const list = opts.pipelineFiles ?? [opts.pipelineFile ?? defaultFile(files)];
  if (list.length === 0) return err([{ code: 'file-missing', message: `${PIPELINE_FILE}: file not found (nor any ${DVC_FILE})` }]);
  const data = new DataFiles(files);
  const diagnostics: Diagnostic[] = [];
  const pipelines: Pipeline[] = [];
  for (const file of list) {
    const text = files.readText(file);
    if (text === undefined) {
      diagnostics.push({ code: 'file-missing', message: `${file}: file not found` });
      continue;
    }
    const parsed = parseYamlSource(file, text);
    if (!parsed.ok) {
      diagnostics.push(...parsed.error);
      continue;
    }
    const base = pipelineFileBase(file);
    const prefix = stageNamePrefix(file);
    const resolved = resolvePipeline(parsed.value, data, { ...(opts.env ? { env: opts.env } : {}), ...(base !== '.' ? { base } : {}), ...(prefix ? { stagePrefix: prefix } : {}) });
    if (resolved.ok) pipelines.push(resolved.value);
    else diagnostics.push(...resolved.error);
  }
  if (diagnostics.length > 0) return err(finish(diagnostics));
  // One graph: an output of one file must not be another file's pipeline, lock or params file either.
  const stages = pipelines.flatMap((p) => p.stages);
  const protectedOutputs = findProtectedOutputs(stages, [...list, ...list.map(lockBeside), ...data.requested()]);
  if (protectedOutputs.length > 0) return err(finish(protectedOutputs));
  if (pipelines.length === 1) return ok(pipelines[0]!);
  const resources = Object.assign({}, ...pipelines.map((p) => p.resources)) as Pipeline['resources'];
  const linkTypes = pipelines.find((p) => p.linkTypes)?.linkTypes;
  return ok({ stages, resources, ...(linkTypes ? { linkTypes } : {}) });
}

/** `pipeline.yaml`, or the root's `dvc.yaml` when only that exists. */
function defaultFile(files: ProjectFiles): string {
  return files.readText(PIPELINE_FILE) === undefined && files.readText(DVC_FILE) !== undefined ? DVC_FILE : PIPELINE_FILE;
}

function lockBeside(file: string): string {
  return file.replace(/dvc\.yaml$/, 'dvc.lock');
}
