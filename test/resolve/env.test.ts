import { describe, expect, test } from 'vitest';
import { loadPipeline } from '../../src/config/load.js';
import { memoryProjectFiles } from '../../src/config/project-files.js';
import type { Pipeline } from '../../src/model/stage.js';
import { renderDiagnostic } from '../../src/ui/diagnostics.js';
import { lines } from '../config/fixtures.js';

// `${env.NAME}` reads the environment the loader is given (the CLI passes process.env); resolving
// stays pure, so these tests inject their own.

function load(files: Record<string, string>, env: Record<string, string | undefined>) {
  const project = memoryProjectFiles(files);
  const result = loadPipeline(project, { env });
  return { result, render: () => (result.ok ? '' : result.error.map((d) => renderDiagnostic(d, project)).join('\n\n')) };
}

function ok(files: Record<string, string>, env: Record<string, string | undefined>): Pipeline {
  const { result, render } = load(files, env);
  if (!result.ok) expect.fail(render());
  return result.value;
}

const pipeline = (...stageLines: string[]) => ({ 'pipeline.yaml': lines('stages:', '  s:', ...stageLines) });

describe('${env.NAME} templating', () => {
  test('reads the injected environment in cmd, container and env', () => {
    const p = ok(
      {
        'pipeline.yaml': lines(
          'defaults:',
          '  container:',
          '    image: ${env.IMAGE}',
          '    mounts:',
          '      - ${env.TOOLS}:${env.TOOLS}:ro',
          'stages:',
          '  s:',
          '    cmd: echo ${env.GREETING}',
          '    env: {VIVADO: "${env.TOOLS}/Vivado/2022.2"}',
        ),
      },
      { IMAGE: 'xilinx/finn:v0.10', TOOLS: '/opt/Xilinx', GREETING: 'hi' },
    );
    const s = p.stages[0]!;
    expect(s.cmd).toEqual(['echo hi']);
    expect(s.container).toMatchObject({ image: 'xilinx/finn:v0.10', mounts: ['/opt/Xilinx:/opt/Xilinx:ro'] });
    expect(s.env).toEqual({ VIVADO: '/opt/Xilinx/Vivado/2022.2' });
  });

  test('?? gives a default when the variable is unset (chains, parentheses, string +)', () => {
    const files = pipeline(
      '    cmd: echo ${env.A ?? "a-default"} ${env.B ?? env.C ?? "c-default"} ${env.IMG ?? "finn:" + (env.TAG ?? "dev")}',
    );
    expect(ok(files, {}).stages[0]!.cmd).toEqual(['echo a-default c-default finn:dev']);
    expect(ok(files, { A: 'x', C: 'y', TAG: 'v1' }).stages[0]!.cmd).toEqual(['echo x y finn:v1']);
    // An empty variable is set: it is used as is, like ${VAR-default} in sh.
    expect(ok(files, { A: '' }).stages[0]!.cmd).toEqual(['echo  c-default finn:dev']);
  });

  test('?? also defaults a missing param, but not other errors', () => {
    expect(ok({ 'params.yaml': 'a: 1\n', ...pipeline('    cmd: echo ${b ?? a}') }, {}).stages[0]!.cmd).toEqual(['echo 1']);
    const { result } = load(pipeline('    cmd: echo ${(1 // 0) ?? 2}'), {});
    expect(result.ok).toBe(false);
  });

  test('an unset variable without a default is a positioned error that does not list the environment', () => {
    const { result, render } = load(pipeline('    cmd: echo ${env.FINN_XILINX_PATH}'), { FINN_XILINX_PAT: 'x' });
    expect(result.ok).toBe(false);
    expect(render()).toBe(
      lines(
        'pipeline.yaml:3:15: error: environment variable "FINN_XILINX_PATH" is not set (give a default: ${env.FINN_XILINX_PATH ?? "value"})',
        '   3 |     cmd: echo ${env.FINN_XILINX_PATH}',
        '     |               ~~~~~~~~~~~~~~~~~~~~~~~',
      ),
    );
  });

  test('without an injected environment every variable is unset', () => {
    const project = memoryProjectFiles(pipeline('    cmd: echo ${env.HOME ?? "none"}'));
    const result = loadPipeline(project);
    expect(result.ok && result.value.stages[0]!.cmd).toEqual(['echo none']);
  });

  test('the whole environment cannot be used as a value', () => {
    const { result, render } = load(pipeline('    cmd: echo ${env}'), { A: '1' });
    expect(result.ok).toBe(false);
    expect(render()).toContain('"env" is the environment: use one variable');
  });

  test('"env" is reserved in params and vars', () => {
    const { result, render } = load({ 'params.yaml': 'env: {A: 1}\n', ...pipeline('    cmd: echo') }, {});
    expect(result.ok).toBe(false);
    expect(render()).toContain('params.yaml:1:1: error: variable "env" from params.yaml is reserved');
  });

  test('the same pipeline under a different environment renders differently (why cmd should not use env)', () => {
    const files = pipeline('    cmd: run --tools ${env.TOOLS ?? "/tools"}');
    expect(ok(files, { TOOLS: '/a' }).stages[0]!.cmd).not.toEqual(ok(files, { TOOLS: '/b' }).stages[0]!.cmd);
  });
});
