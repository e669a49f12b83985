import type { Stage } from '../../src/model/stage.js';

/** A resolved stage with defaults, for tests of the pure core. */
export function stage(name: string, fields: { deps?: string[]; outs?: string[]; cmd?: string[] } & Partial<Omit<Stage, 'deps' | 'outs'>> = {}): Stage {
  const { deps = [], outs = [], ...rest } = fields;
  return {
    name,
    cmd: [`make ${name}`],
    wdir: '.',
    params: [],
    env: {},
    executor: 'local',
    resources: {},
    alwaysChanged: false,
    frozen: false,
    absolutePaths: false,
    ...rest,
    deps: deps.map((path) => ({ path })),
    outs: outs.map((path) => ({ path, kind: 'out' as const, cache: true, persist: false })),
  };
}
