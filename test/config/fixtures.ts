import { expect } from 'vitest';
import { loadPipeline } from '../../src/config/load.js';
import { memoryProjectFiles } from '../../src/config/project-files.js';
import type { Diagnostic } from '../../src/model/diagnostic.js';
import type { Pipeline, Stage } from '../../src/model/stage.js';
import { renderDiagnostic } from '../../src/ui/diagnostics.js';

/** Loads a pipeline from in-memory files and fails the test on diagnostics. */
export function resolveOk(files: Record<string, string>): Pipeline {
  const project = memoryProjectFiles(files);
  const result = loadPipeline(project);
  if (!result.ok) expect.fail(result.error.map((d) => renderDiagnostic(d, project)).join('\n'));
  return result.value;
}

export function stageNamed(pipeline: Pipeline, name: string): Stage {
  const stage = pipeline.stages.find((s) => s.name === name);
  if (!stage) expect.fail(`no stage ${name}; have ${pipeline.stages.map((s) => s.name).join(', ')}`);
  return stage;
}

/** Loads expecting failure; returns the diagnostics. */
export function resolveErr(files: Record<string, string>): Diagnostic[] {
  const result = loadPipeline(memoryProjectFiles(files));
  if (result.ok) expect.fail('expected diagnostics, pipeline loaded');
  return result.error;
}

/** Every diagnostic rendered, separated by blank lines, as the CLI would print them. */
export function rendered(files: Record<string, string>): string {
  const project = memoryProjectFiles(files);
  return resolveErr(files)
    .map((d) => renderDiagnostic(d, project))
    .join('\n\n');
}

/** Joins lines so expected YAML and output read naturally in tests. */
export const lines = (...text: string[]) => text.join('\n');
