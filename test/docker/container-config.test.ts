import { describe, expect, it } from 'vitest';
import { containerEnv, containerOptions, gpuRequests, parseMount, parseSize } from '../../src/exec/docker/container-config.js';
import { describeFailure } from '../../src/ui/failure-text.js';
import { stage } from '../core/fixtures.js';

const docker = (overrides: Parameters<typeof stage>[1] = {}) => stage('train', { executor: 'docker', container: { image: 'finn:1' }, ...overrides });

describe('container configuration (pure)', () => {
  it('parses host[:container][:ro|rw]; relative to the root, ~ is home, container path defaults to host path', () => {
    expect(parseMount('/tools/Xilinx:ro', '/ws', '/home/u')).toEqual({ ok: true, value: { source: '/tools/Xilinx', target: '/tools/Xilinx', readOnly: true, relative: false, spec: '/tools/Xilinx:ro' } });
    expect(parseMount('data:/data', '/ws', '/home/u')).toMatchObject({ ok: true, value: { source: '/ws/data', target: '/data', readOnly: false, relative: true } });
    expect(parseMount('~/.Xilinx:/root/.Xilinx:rw', '/ws', '/home/u')).toMatchObject({ ok: true, value: { source: '/home/u/.Xilinx', target: '/root/.Xilinx', readOnly: false } });
    expect(parseMount('a:b:c:d', '/ws', '/h')).toEqual({ ok: false, error: 'mount "a:b:c:d" is not of the form host[:container][:ro]' });
    expect(parseMount('/a:rel/path', '/ws', '/h')).toEqual({ ok: false, error: 'mount "/a:rel/path": the container path "rel/path" must be absolute' });
    expect(parseMount('/a::ro', '/ws', '/h').ok).toBe(false);
  });

  it('sizes and GPU requests follow docker run', () => {
    expect(parseSize('8g')).toEqual({ ok: true, value: 8 * 1024 ** 3 });
    expect(parseSize('512m')).toEqual({ ok: true, value: 512 * 1024 ** 2 });
    expect(parseSize(1024)).toEqual({ ok: true, value: 1024 });
    expect(parseSize('lots').ok).toBe(false);
    expect(gpuRequests('all')).toEqual({ ok: true, value: [{ Driver: '', Capabilities: [['gpu']], Count: -1 }] });
    expect(gpuRequests(2)).toEqual({ ok: true, value: [{ Driver: '', Capabilities: [['gpu']], Count: 2 }] });
    expect(gpuRequests('device=0,1')).toEqual({ ok: true, value: [{ Driver: '', Capabilities: [['gpu']], DeviceIDs: ['0', '1'] }] });
    expect(gpuRequests(undefined)).toEqual({ ok: true, value: undefined });
    expect(gpuRequests('many').ok).toBe(false);
  });

  it('env precedence: passthrough < stage env < container env < ORCHESTRATOR_*; only listed caller variables enter', () => {
    const s = docker({ env: { A: 'stage', B: 'stage' }, container: { image: 'x', env: { B: 'container' }, env_passthrough: ['LIC', 'A', 'ABSENT'] } });
    const env = containerEnv(s, { LIC: 'lic', A: 'caller', SECRET: 'no', ORCHESTRATOR_STAGE: 'train', ORCHESTRATOR_ROOT: '/ws', ORCHESTRATOR_RUN_ID: 'r1' });
    expect(env).toEqual({ LIC: 'lic', A: 'stage', B: 'container', ORCHESTRATOR_STAGE: 'train', ORCHESTRATOR_ROOT: '/ws', ORCHESTRATOR_RUN_ID: 'r1' });
  });

  it('create options: workspace at its own path, workdir, user, limits, labels, the resolved image ID', () => {
    const s = docker({
      wdir: 'sub',
      resources: { cpus: 1.5, mem_gb: 8 },
      container: { image: 'finn:1', mounts: ['/tools:ro'], shm_size: '2g', network: 'none', gpus: 'all' },
    });
    const o = containerOptions({ stage: s, root: '/ws', runId: 'r1', imageId: 'sha256:abc', command: 'make', commandIndex: 0, callerEnv: {}, callerUser: '1000:1000', home: '/h' });
    expect(o.ok).toBe(true);
    if (!o.ok) return;
    expect(o.value).toMatchObject({
      Image: 'sha256:abc',
      Cmd: ['sh', '-c', 'make'],
      User: '1000:1000',
      WorkingDir: '/ws/sub',
      Labels: { 'orchestrator.root': '/ws', 'orchestrator.run-id': 'r1', 'orchestrator.stage': 'train', 'orchestrator.command': '0' },
      HostConfig: {
        Mounts: [
          { Type: 'bind', Source: '/ws', Target: '/ws', ReadOnly: false },
          { Type: 'bind', Source: '/tools', Target: '/tools', ReadOnly: true },
        ],
        NanoCpus: 1.5e9,
        Memory: 8 * 1024 ** 3,
        MemorySwap: 8 * 1024 ** 3,
        ShmSize: 2 * 1024 ** 3,
        NetworkMode: 'none',
        DeviceRequests: [{ Driver: '', Capabilities: [['gpu']], Count: -1 }],
        Init: true,
      },
    });
    const custom = containerOptions({ stage: docker({ container: { image: 'x', user: 'finn', workdir: 'build' } }), root: '/ws', runId: 'r', imageId: 'i', command: 'c', commandIndex: 2, callerEnv: {}, callerUser: '0:0', home: '/h' });
    expect(custom.ok && [custom.value.User, custom.value.WorkingDir, custom.value.Labels!['orchestrator.command']]).toEqual(['finn', '/ws/build', '2']);
  });

  it('says out of memory with the limit as the user wrote it', () => {
    expect(describeFailure({ kind: 'out-of-memory', memGb: 8 })).toBe('killed: out of memory (limit 8 GiB)');
    expect(describeFailure({ kind: 'out-of-memory' })).toMatch(/^killed: out of memory \(no mem_gb limit set/);
  });
});
