import { describe, expect, test } from 'vitest';
import { finnChecks, type MachineProbe } from '../../src/doctor/finn-check.js';
import type { DoctorContext } from '../../src/doctor/check.js';
import type { Stage } from '../../src/model/stage.js';
import { doctorCheckLoaders } from '../../src/doctor/registry.js';

const GB = 1024 ** 3;

function machine(dirs: string[], over: Partial<MachineProbe> = {}): MachineProbe {
  return {
    isDir: (p) => dirs.includes(p),
    listDir: (p) => dirs.filter((d) => d.startsWith(`${p}/`)).map((d) => d.slice(p.length + 1)).filter((d) => !d.includes('/')).sort(),
    exists: (p) => dirs.includes(p),
    freeBytes: () => 100 * GB,
    totalMemBytes: () => 24 * GB,
    freeMemBytes: () => 20 * GB,
    ...over,
  };
}

const stage = (name: string, memGb?: number): Stage => ({
  name, cmd: ['true'], wdir: '.', deps: [], params: [], outs: [], env: {}, executor: 'docker',
  container: { image: 'xilinx/finn:x', env: { XILINX_VIVADO: '/x/Vivado/2022.2', HLS_PATH: '/x/Vitis_HLS/2022.2' } },
  resources: memGb === undefined ? {} : { mem_gb: memGb }, alwaysChanged: false, frozen: false, absolutePaths: false,
});

const ctx = (env: Record<string, string>, stages: Stage[] = [stage('hls', 8), stage('bitstream', 16)]): DoctorContext => ({
  root: '/work', pipeline: { stages, resources: {} }, env,
});

const rows = async (c: DoctorContext, m: MachineProbe) => (await finnChecks(m)(c)).map((r) => `${r.status} ${r.name}: ${r.detail}${r.hint ? ` | ${r.hint}` : ''}`);

describe('doctor: FINN checks', () => {
  test('everything in place', async () => {
    const env = { FINN_XILINX_PATH: '/opt/Xilinx', FINN_XILINX_VERSION: '2022.2', XILINXD_LICENSE_FILE: '2100@lic', FINN_ROOT: '/src/finn' };
    expect(await rows(ctx(env), machine(['/opt/Xilinx', '/opt/Xilinx/Vivado/2022.2', '/opt/Xilinx/Vitis_HLS/2022.2', '/src/finn']))).toEqual([
      'ok Xilinx install: /opt/Xilinx (FINN_XILINX_PATH)',
      'ok Vivado 2022.2: /opt/Xilinx/Vivado/2022.2',
      'ok Vitis_HLS 2022.2: /opt/Xilinx/Vitis_HLS/2022.2',
      'ok Xilinx license: XILINXD_LICENSE_FILE=2100@lic (passed into the container)',
      'ok FINN checkout: /src/finn',
      'ok free disk: 100.0 GB free under /work',
      'ok memory: 24.0 GB total, 20.0 GB free; largest need 16 GB (bitstream)',
    ]);
  });

  test('wrong version, missing license file, no FINN_ROOT, little disk, too little memory: each with a hint', async () => {
    const env = { FINN_XILINX_PATH: '/opt/Xilinx', XILINXD_LICENSE_FILE: '/licenses/x.lic' };
    const m = machine(['/opt/Xilinx', '/opt/Xilinx/Vivado', '/opt/Xilinx/Vivado/2023.1', '/opt/Xilinx/Vitis_HLS'], { freeBytes: () => 2 * GB, totalMemBytes: () => 8 * GB });
    const out = await rows(ctx(env), m);
    expect(out[1]).toBe('fail Vivado 2022.2: /opt/Xilinx/Vivado/2022.2 not found; found 2023.1 | export FINN_XILINX_VERSION=2023.1 (FINN is tested with 2022.2)');
    expect(out[2]).toBe('fail Vitis_HLS 2022.2: /opt/Xilinx/Vitis_HLS/2022.2 not found | install Vitis_HLS 2022.2 under /opt/Xilinx');
    expect(out[3]).toMatch(/^fail Xilinx license: XILINXD_LICENSE_FILE names \/licenses\/x.lic, which does not exist/);
    expect(out[4]).toMatch(/^fail FINN checkout: FINN_ROOT is not set \| export FINN_ROOT=/);
    expect(out[5]).toMatch(/^fail free disk: 2.0 GB free/);
    expect(out[6]).toMatch(/^fail memory: 8.0 GB total, 20.0 GB free; largest need 16 GB \(bitstream\) \| /);
  });

  test('no Xilinx install at the default path; no license is a warning', async () => {
    const out = await rows(ctx({}), machine([]));
    expect(out[0]).toBe('fail Xilinx install: /tools/Xilinx (default) not found | export FINN_XILINX_PATH=/path/to/Xilinx (the directory holding Vivado/ and Vitis_HLS/)');
    expect(out[1]).toMatch(/^warn Xilinx license: XILINXD_LICENSE_FILE is not set/);
  });

  test('a pipeline without Xilinx tools only gets disk and memory rows', async () => {
    const plain = { ...stage('s'), container: undefined, executor: 'local' as const };
    expect(await rows(ctx({}, [plain]), machine([]))).toEqual(['ok free disk: 100.0 GB free under /work', 'ok memory: 24.0 GB total, 20.0 GB free; no stage declares mem_gb']);
  });

  test('registered in the doctor registry', async () => {
    const loaded = await Promise.all(doctorCheckLoaders.map((load) => load()));
    const { finnCheck } = await import('../../src/doctor/finn-check.js');
    expect(loaded).toContain(finnCheck);
  });
});
