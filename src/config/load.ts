import type { Diagnostic } from '../model/diagnostic.js';
import { err, type Result } from '../model/result.js';
import type { Pipeline } from '../model/stage.js';
import type { ProjectFiles } from './project-files.js';
import { parseYamlSource } from './yaml-document.js';
import { DataFiles } from '../resolve/params-files.js';
import { finish, resolvePipeline } from '../resolve/resolve.js';

export interface LoadOptions {
  /** Relative to the root; default `pipeline.yaml`. Other paths stay relative to the root. */
  pipelineFile?: string;
  /** The environment `${env.NAME}` reads (the CLI passes process.env); default: empty. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Reads, validates and resolves the pipeline. Never throws on bad input: problems come back as diagnostics. */
export function loadPipeline(files: ProjectFiles, opts: LoadOptions = {}): Result<Pipeline, Diagnostic[]> {
  const file = opts.pipelineFile ?? 'pipeline.yaml';
  const text = files.readText(file);
  if (text === undefined) return err([{ code: 'file-missing', message: `${file}: file not found` }]);
  const parsed = parseYamlSource(file, text);
  if (!parsed.ok) return err(finish(parsed.error));
  return resolvePipeline(parsed.value, new DataFiles(files), opts.env ? { env: opts.env } : {});
}
