/** `restart`: the node was stopped because its inputs changed; it goes back in the queue, nothing else stops. */
export type NodeOutcome = 'succeeded' | 'failed' | 'cancelled' | 'restart';

/** Why a node never started: an upstream node failed or was cancelled (named), or the run stopped first. */
export type NotStarted = { reason: 'upstream-failed'; upstream: string } | { reason: 'upstream-cancelled'; upstream: string } | { reason: 'stopped' };

/** Named capacities (cpus, mem_gb, vivado_license...) and what each node holds while it runs. */
export interface ResourceLimits {
  capacity: Readonly<Record<string, number>>;
  demand: (name: string) => Readonly<Record<string, number>>;
}

export interface ScheduleOptions {
  /** Most nodes running at once (≥ 1). */
  jobs: number;
  /** Never exceeded; a node whose demand exceeds a capacity outright must be rejected before scheduling. */
  resources?: ResourceLimits;
  /** Keep starting nodes that do not depend on a failure. */
  keepGoing: boolean;
  /** Aborting stops new starts; running nodes see the same signal and should cancel. */
  signal: AbortSignal;
}

/**
 * A running node's hold on its `-j` slot and resources. A node that has finished the part that needs
 * them (a stage's command) releases them early, so the next node starts while it commits outputs.
 */
export interface Slot {
  /** Idempotent; the scheduler releases whatever is still held when the node ends. */
  release(): void;
}

/** Nodes past their slot (committing) besides those holding one: bounds the bookkeeping running in parallel. */
const EXTRA_ACTIVE_PER_SLOT = 1;

export interface ScheduleResult {
  outcomes: Map<string, Exclude<NodeOutcome, 'restart'>>;
  notStarted: Map<string, NotStarted>;
}

/**
 * Runs nodes in dependency order, up to `jobs` holding a slot at once (a node may give its slot back
 * before it ends, see `Slot`). `upstream` lists, per node, the nodes it waits for (only nodes in
 * `order` count). Without keep-going, the first failure stops new starts while running nodes finish
 * (and commit); with it, only dependents of the failure are skipped.
 */
export async function schedule(
  order: readonly string[],
  upstream: ReadonlyMap<string, readonly string[]>,
  runNode: (name: string, slot: Slot) => Promise<NodeOutcome>,
  opts: ScheduleOptions,
): Promise<ScheduleResult> {
  const inScope = new Set(order);
  const waitingOn = new Map(order.map((n) => [n, new Set((upstream.get(n) ?? []).filter((u) => inScope.has(u)))]));
  // Nodes whose upstream is done and that have not started, in `order`: the start loop looks only
  // at these, so a run of thousands of nodes does not rescan all of them on every completion.
  const position = new Map(order.map((n, i) => [n, i]));
  let ready = order.filter((n) => waitingOn.get(n)!.size === 0);
  const makeReady = (name: string) => {
    const at = position.get(name)!;
    let i = ready.length;
    while (i > 0 && position.get(ready[i - 1]!)! > at) i--;
    ready.splice(i, 0, name);
  };
  const dependents = new Map<string, string[]>(order.map((n) => [n, []]));
  for (const [n, ups] of waitingOn) for (const u of ups) dependents.get(u)!.push(n);

  const outcomes = new Map<string, Exclude<NodeOutcome, 'restart'>>();
  const notStarted = new Map<string, NotStarted>();
  const running = new Map<string, Promise<void>>();
  const maxActive = opts.jobs * (1 + EXTRA_ACTIVE_PER_SLOT);
  let slotsUsed = 0;
  /** Resolves the current wait when a slot is given back early. */
  let wake: () => void = () => undefined;
  let stopping = false;
  const aborted = abortPromise(opts.signal);
  const inUse: Record<string, number> = {};
  const fits = (name: string): boolean => {
    if (!opts.resources) return true;
    const { capacity, demand } = opts.resources;
    return Object.entries(demand(name)).every(([k, v]) => (inUse[k] ?? 0) + v <= (capacity[k] ?? Infinity));
  };
  const hold = (name: string, sign: 1 | -1): void => {
    for (const [k, v] of Object.entries(opts.resources?.demand(name) ?? {})) inUse[k] = (inUse[k] ?? 0) + sign * v;
  };

  const skipDependents = (ended: string, why: NotStarted) => {
    for (const d of dependents.get(ended)!) {
      if (notStarted.has(d) || outcomes.has(d)) continue;
      notStarted.set(d, why);
      waitingOn.delete(d);
      skipDependents(d, why);
    }
  };

  for (;;) {
    if (opts.signal.aborted) stopping = true;
    if (!stopping) {
      const started = new Set<string>();
      for (const name of ready) {
        if (slotsUsed >= opts.jobs || running.size >= maxActive) break;
        // A ready node that does not fit now waits; smaller ready nodes behind it may start (backfill).
        if (!waitingOn.has(name) || !fits(name)) continue;
        started.add(name);
        waitingOn.delete(name);
        hold(name, 1);
        slotsUsed++;
        let held = true;
        const slot: Slot = {
          release: () => {
            if (!held) return;
            held = false;
            slotsUsed--;
            hold(name, -1);
            wake();
          },
        };
        running.set(
          name,
          runNode(name, slot)
            .catch((): NodeOutcome => 'failed')
            .then((outcome) => {
              running.delete(name);
              slot.release();
              if (outcome === 'restart') {
                waitingOn.set(name, new Set());
                makeReady(name);
                return;
              }
              outcomes.set(name, outcome);
              if (outcome === 'succeeded') {
                for (const d of dependents.get(name)!) {
                  const ups = waitingOn.get(d);
                  if (ups?.delete(name) && ups.size === 0) makeReady(d);
                }
              } else {
                skipDependents(name, { reason: outcome === 'cancelled' ? 'upstream-cancelled' : 'upstream-failed', upstream: name });
                if (outcome === 'cancelled' || !opts.keepGoing) stopping = true;
              }
            }),
        );
      }
      if (started.size > 0) ready = ready.filter((n) => !started.has(n) && waitingOn.has(n));
    }
    if (running.size === 0) break;
    // Once aborted, `aborted` stays resolved: wait on the running nodes only, or this loop would spin.
    const released = new Promise<void>((resolve) => (wake = resolve));
    await Promise.race(opts.signal.aborted ? [...running.values(), released] : [...running.values(), released, aborted]);
  }
  for (const name of waitingOn.keys()) notStarted.set(name, { reason: 'stopped' });
  return { outcomes, notStarted };
}

function abortPromise(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return new Promise(() => undefined);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
