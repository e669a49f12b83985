import { createHash } from 'node:crypto';
import type { Executor, ToolProbeOutcome } from '../exec/executor.js';
import type { EnvironmentObservation, StageEnvironment, ToolVersion } from '../model/environment.js';
import type { Stage } from '../model/stage.js';

/** Output kept in a failed probe's message: enough to show what went wrong, never a whole log. */
const FAILED_OUTPUT_CHARS = 2000;

/**
 * The environment each stage's commands see, with the versions of its `tools:`. Each distinct probe
 * (same executor, environment, scope and command) runs once per instance, i.e. once per run,
 * however many stages declare it; the first caller's signal can cancel it.
 */
export class ToolVersions {
  private readonly probes = new Map<string, Promise<ToolProbeOutcome>>();

  constructor(
    private readonly root: string,
    private readonly runId: string,
  ) {}

  async observe(executor: Executor, stage: Stage, signal?: AbortSignal): Promise<EnvironmentObservation> {
    const described = await executor.describeEnvironment(stage);
    if (!described.ok) return described;
    const environment = described.value;
    // All of a stage's probes start at once (each is a container start for Docker); results in name order.
    const declared = Object.entries(stage.tools ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    const outcomes = await Promise.all(declared.map(([, command]) => this.probe(executor, stage, environment, command, signal)));
    const tools: Record<string, ToolVersion> = {};
    for (const [i, [tool, command]] of declared.entries()) {
      const r = outcomes[i]!;
      const version = r.ok ? toolVersion(r.stdout) : undefined;
      if (!version) {
        const output = r.ok ? 'printed nothing on stdout (add 2>&1 if the tool prints its version on stderr)' : r.output.slice(-FAILED_OUTPUT_CHARS);
        const how = r.ok ? { exitCode: 0 } : { ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}), ...(r.signal ? { signal: r.signal } : {}) };
        return { ok: false, problem: { kind: 'tool-failed', tool, command, ...how, output } };
      }
      tools[tool] = version;
    }
    return { ok: true, value: { id: environment.id, env: environment.env, tools } };
  }

  private probe(executor: Executor, stage: Stage, environment: StageEnvironment, command: string, signal?: AbortSignal): Promise<ToolProbeOutcome> {
    const key = JSON.stringify([executor.kind, environment.id, environment.env, environment.scope, command]);
    let probe = this.probes.get(key);
    if (!probe) {
      probe = executor
        .probeTool({ stage, root: this.root, runId: this.runId, environment, command, ...(signal ? { signal } : {}) })
        .catch((e: Error): ToolProbeOutcome => ({ ok: false, output: e.message }));
      this.probes.set(key, probe);
    }
    return probe;
  }
}

/** First non-empty line (trimmed) for people, sha256 of the whole output (trailing blanks trimmed) for the key. */
export function toolVersion(stdout: string): ToolVersion | undefined {
  const text = stdout.replace(/\s+$/, '');
  const first = text.split('\n').find((l) => l.trim() !== '')?.trim();
  if (first === undefined) return undefined;
  return { version: first, hash: createHash('sha256').update(text).digest('hex') };
}
