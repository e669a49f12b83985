/**
 * TEST DOUBLE: an `Executor` whose executions the test drives by hand, for in-process engine tests
 * (after wireit's test rig). Nothing runs by itself: a test waits for an execution to start
 * (`await fake.started('train')`), makes it print (`emit`), write its outputs and exit with a code
 * (`exit`), or leaves it hanging until the engine cancels it (`await execution.cancelled`). Dead runs'
 * executions that a later run may adopt are registered with `orphan`. No sleeps: every wait is on a
 * promise the engine or the test resolves.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ExecHandle, ExecOutcome, ExecRequest, Executor, RunningMarker, ToolProbeOutcome } from '../../src/exec/executor.js';
import type { Diagnostic } from '../../src/model/diagnostic.js';
import type { EnvironmentResult } from '../../src/model/environment.js';
import type { Stage } from '../../src/model/stage.js';

/** One execution of a stage, started or adopted by the engine. */
export class FakeExecution implements ExecHandle {
  /** The request of the run that follows it now (for an adopted one: the adopting run's). */
  req: ExecRequest | undefined;
  readonly outcome: Promise<ExecOutcome>;
  /** Resolves when the engine cancels it. */
  readonly cancelled: Promise<void>;
  cancelCalls = 0;
  private settle!: (o: ExecOutcome) => void;
  private onCancel!: () => void;
  private settled = false;

  constructor(
    readonly stage: string,
    readonly id: string,
    readonly root: string,
  ) {
    this.outcome = new Promise((resolve) => (this.settle = resolve));
    this.cancelled = new Promise((resolve) => (this.onCancel = resolve));
  }

  /** The commands as the engine rendered them for this execution. */
  get cmd(): string[] {
    return this.req?.stage.cmd ?? [];
  }

  /** An output line, as the command would print it. */
  emit(line: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    this.req?.onLine(line, stream);
  }

  /** Writes files (relative to the workspace root), as the command would. */
  write(files: Record<string, string>): this {
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(this.root, rel)), { recursive: true });
      writeFileSync(path.join(this.root, rel), content);
    }
    return this;
  }

  /** Ends the command with this exit code. */
  exit(code: number): void {
    this.end(code === 0 ? { status: 'succeeded' } : { status: 'failed', failure: { kind: 'exit-code', code } });
  }

  /** Started (or adopted) and not ended yet. */
  get running(): boolean {
    return !this.settled;
  }

  wait(): Promise<ExecOutcome> {
    return this.outcome;
  }

  async cancel(): Promise<void> {
    this.cancelCalls++;
    this.onCancel();
    this.end({ status: 'cancelled' });
  }

  private end(o: ExecOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(o);
  }
}

export class FakeExecutor implements Executor {
  readonly kind = 'local' as const;
  readonly reattachable = true;
  /** Every execution the engine started, in order. */
  readonly executions: FakeExecution[] = [];
  /** Dead runs' executions still "running", by handle id: what `reattach` can find. */
  readonly orphans = new Map<string, FakeExecution>();
  readonly adopted: FakeExecution[] = [];
  /** The most executions running at once. */
  mostAtOnce = 0;
  /** Markers the engine asked to stop, and the handles `cleanupLeftovers` was told to keep. */
  readonly cleanedUp: RunningMarker[] = [];
  readonly kept: string[][] = [];
  private readonly waiters: { stage: string | undefined; resolve: (e: FakeExecution) => void }[] = [];
  /** Started or adopted executions no `started` call has returned yet. */
  private readonly unclaimed: FakeExecution[] = [];
  private nextId = 1;

  constructor(
    private readonly root: string,
    private readonly problems: (stages: readonly Stage[]) => Diagnostic[] = () => [],
  ) {}

  /** The next execution of `stage` (of any stage without one) the engine starts or adopts that no earlier call returned. */
  started(stage?: string): Promise<FakeExecution> {
    const i = this.unclaimed.findIndex((e) => stage === undefined || e.stage === stage);
    if (i >= 0) return Promise.resolve(this.unclaimed.splice(i, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ stage, resolve }));
  }

  /** How many executions of `stage` the engine started (adoptions not counted). */
  starts(stage: string): number {
    return this.executions.filter((e) => e.stage === stage).length;
  }

  /** A dead run's execution of `stage`, still running under `handleId`. */
  orphan(stage: string, handleId: string): FakeExecution {
    const execution = new FakeExecution(stage, handleId, this.root);
    this.orphans.set(handleId, execution);
    return execution;
  }

  async describeEnvironment(stage: Stage): Promise<EnvironmentResult> {
    return { ok: true, value: { id: 'host', env: { ...stage.env }, scope: 'fake' } };
  }

  /** Tool probes answer with the tool's command itself, so a test can change a "version" by editing it. */
  async probeTool(req: { command: string }): Promise<ToolProbeOutcome> {
    return { ok: true, stdout: `${req.command}\n` };
  }

  async preflight(stages: readonly Stage[]): Promise<Diagnostic[]> {
    return this.problems(stages);
  }

  async start(req: ExecRequest): Promise<ExecHandle> {
    const execution = new FakeExecution(req.stage.name, `fake-${this.nextId++}`, this.root);
    execution.req = req;
    req.onHandleId?.(execution.id);
    this.executions.push(execution);
    this.mostAtOnce = Math.max(this.mostAtOnce, this.executions.filter((e) => e.running).length);
    this.announce(execution);
    return execution;
  }

  async reattach(marker: RunningMarker, req: ExecRequest): Promise<ExecHandle | undefined> {
    const execution = this.orphans.get(marker.handleId);
    if (!execution) return undefined;
    this.orphans.delete(marker.handleId);
    execution.req = req;
    this.adopted.push(execution);
    this.announce(execution);
    return execution;
  }

  async cleanup(marker: RunningMarker): Promise<void> {
    this.cleanedUp.push(marker);
    const orphan = this.orphans.get(marker.handleId);
    this.orphans.delete(marker.handleId);
    await orphan?.cancel();
  }

  async cleanupLeftovers(_root: string, keep: ReadonlySet<string>): Promise<void> {
    this.kept.push([...keep].sort());
    for (const [id, orphan] of this.orphans) {
      if (keep.has(id)) continue;
      this.orphans.delete(id);
      await orphan.cancel();
    }
  }

  killAllNow(): void {
    for (const e of this.executions) void e.cancel();
  }

  private announce(execution: FakeExecution): void {
    const i = this.waiters.findIndex((w) => w.stage === undefined || w.stage === execution.stage);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(execution);
    else this.unclaimed.push(execution);
  }
}
