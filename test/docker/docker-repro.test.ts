/**
 * The Docker executor end to end: the built CLI against the real engine (.ci/setup.sh), in
 * throw-away projects. Every container is found by its orchestrator.root label, so a test can
 * prove none is left behind.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allOutput, cleanupProjects, createProject, tick, waitFor, yamlLines, type Project } from '../integration/harness.js';
import { BUSYBOX, containersOf, docker, imageId, PYTHON, requireDocker } from './docker-env.js';

const projects: Project[] = [];
const extraDirs: string[] = [];
const extraTags: string[] = [];

beforeAll(() => requireDocker([BUSYBOX, PYTHON]));
afterEach(() => {
  // Whatever a failing test left: its containers, then its directories.
  for (const p of projects.splice(0)) for (const id of containersOf(p.dir)) docker('rm', '-f', id);
  for (const d of extraDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  cleanupProjects();
});
afterAll(() => {
  for (const t of extraTags.splice(0)) docker('rmi', t);
});

function project(files: Record<string, string>): Project {
  const p = createProject(files);
  projects.push(p);
  return p;
}

function dockerStage(name: string, image: string, ...body: string[]): string[] {
  return [`  ${name}:`, '    executor: docker', '    container:', `      image: ${image}`, ...body];
}

function hostDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'orchestrator-mount-'));
  extraDirs.push(d);
  return d;
}

describe('docker executor: running stages', () => {
  it('runs the stage in the image at the identical path as the calling user; outputs are cached and restored', async () => {
    const p = project({
      'pipeline.yaml': yamlLines(
        'stages:',
        ...dockerStage('build', BUSYBOX),
        `    cmd: ${tick('build')} && mkdir -p out && (id -u; id -g; pwd; cat /etc/hostname >/dev/null && echo in-container) > out/info.txt`,
        '    outs: [out]',
      ),
    });
    await p.runOk(['repro']);
    expect(p.read('out/info.txt')).toBe(`${process.getuid!()}\n${process.getgid!()}\n${p.dir}\nin-container\n`);
    expect(statSync(p.abs('out/info.txt')).uid).toBe(process.getuid!());
    expect(p.lock().stages.build).toMatchObject({ environment: imageId(BUSYBOX) });
    expect(containersOf(p.dir)).toEqual([]);

    // Unchanged: nothing runs; outputs deleted: restored from the cache, still without running.
    await p.runOk(['repro']);
    p.remove('out');
    await p.runOk(['repro']);
    expect(p.runs('build')).toBe(1);
    expect(p.read('out/info.txt')).toContain('in-container');
  });

  it('runs as container.user when set: outputs belong to that uid:gid', async () => {
    const p = project({
      'pipeline.yaml': yamlLines('stages:', ...dockerStage('own', BUSYBOX, '      user: "1234:1234"'), '    cmd: id -u > who.txt', '    outs: [who.txt]'),
    });
    chmodSync(p.dir, 0o777); // the stage's user must be able to write into the workspace
    await p.runOk(['repro']);
    expect(p.read('who.txt')).toBe('1234\n');
    const st = statSync(p.abs('who.txt'));
    expect([st.uid, st.gid]).toEqual([1234, 1234]);
  });

  it('streams stdout and stderr as separate whole lines into the log; runs a list cmd in a wdir', async () => {
    const p = project({
      'pipeline.yaml': yamlLines(
        'stages:',
        ...dockerStage('talk', BUSYBOX),
        '    wdir: sub',
        '    cmd:',
        '      - printf "partial" && sleep 0.2 && echo " line" && echo to-stderr >&2',
        '      - pwd > where.txt',
        '    outs: [where.txt]',
      ),
      'sub/.keep': '',
    });
    const r = await p.runOk(['repro', '-v']);
    expect(p.read('sub/where.txt')).toBe(`${p.abs('sub')}\n`);
    const out = allOutput(r);
    expect(out).toMatch(/talk.*partial line/);
    expect(out).toMatch(/talk.*to-stderr/);
    const [logFile] = p.listFiles('.orchestrator/logs').filter((f) => f.endsWith('/talk.log'));
    const log = p.read(`.orchestrator/logs/${logFile}`);
    expect(log).toContain('partial line\n');
    expect(log).toContain('to-stderr\n');
  });

  it('mounts: host paths at identical or given container paths; :ro is enforced', async () => {
    const data = hostDir();
    const scratch = hostDir();
    writeFileSync(path.join(data, 'in.txt'), 'from-host\n');
    const p = project({
      'pipeline.yaml': yamlLines(
        'stages:',
        ...dockerStage('m', BUSYBOX, `      mounts: ["${data}:/data:ro", "${scratch}"]`),
        `    cmd: cat /data/in.txt > got.txt && (touch /data/new 2>/dev/null && echo writable || echo read-only) > ro.txt && echo hi > ${scratch}/w.txt`,
        '    outs: [got.txt, ro.txt]',
      ),
    });
    await p.runOk(['repro']);
    expect(p.read('got.txt')).toBe('from-host\n');
    expect(p.read('ro.txt')).toBe('read-only\n');
    expect(() => statSync(path.join(data, 'new'))).toThrow();
    expect(statSync(path.join(scratch, 'w.txt')).isFile()).toBe(true);
  });

  it('env: stage env, container env, env_passthrough and ORCHESTRATOR_* reach the command; nothing else of the caller', async () => {
    const p = project({
      'pipeline.yaml': yamlLines(
        'stages:',
        ...dockerStage('e', BUSYBOX, '      env: {FROM_CONTAINER: c1, SHARED: container}', '      env_passthrough: [LICENSE_FILE, NOT_SET_ANYWHERE]'),
        '    env: {FROM_STAGE: s1, SHARED: stage}',
        '    cmd: env | sort > env.txt',
        '    outs: [env.txt]',
      ),
    });
    await p.runOk(['repro'], 0, { env: { LICENSE_FILE: '2100@licserver', CALLER_ONLY: 'must-not-leak' } });
    const env = Object.fromEntries(
      p
        .read('env.txt')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      FROM_STAGE: 's1',
      FROM_CONTAINER: 'c1',
      SHARED: 'container',
      LICENSE_FILE: '2100@licserver',
      ORCHESTRATOR_STAGE: 'e',
      ORCHESTRATOR_ROOT: p.dir,
    });
    expect(env.ORCHESTRATOR_RUN_ID).toMatch(/\S/);
    expect(env).not.toHaveProperty('CALLER_ONLY');
    expect(env).not.toHaveProperty('NOT_SET_ANYWHERE');
  });

  it('a rebuilt or retagged image reruns the stage; an unchanged one does not', async () => {
    const tag = `orchestrator-test/retag-${process.pid}:${Date.now()}`;
    extraTags.push(tag);
    expect(docker('tag', BUSYBOX, tag).status).toBe(0);
    const p = project({
      'pipeline.yaml': yamlLines('stages:', ...dockerStage('img', tag), `    cmd: ${tick('img')} && echo ok > o.txt`, '    outs: [o.txt]'),
    });
    await p.runOk(['repro']);
    await p.runOk(['repro']);
    expect(p.runs('img')).toBe(1);
    expect(p.lock().stages.img).toMatchObject({ environment: imageId(BUSYBOX) });

    // Same name, different image.
    expect(docker('tag', PYTHON, tag).status).toBe(0);
    const status = await p.runOk(['status']);
    expect(status.stdout).toContain(`environment changed: ${imageId(BUSYBOX)} -> ${imageId(PYTHON)}`);
    await p.runOk(['repro']);
    expect(p.runs('img')).toBe(2);
    expect(p.lock().stages.img).toMatchObject({ environment: imageId(PYTHON) });
    await p.runOk(['repro']);
    expect(p.runs('img')).toBe(2);
  });
});

describe('docker executor: failures', () => {
  it('a nonzero exit fails the stage with the command exit code; a list stops at the failing command', async () => {
    const p = project({
      'pipeline.yaml': yamlLines(
        'stages:',
        ...dockerStage('bad', BUSYBOX),
        '    cmd: [echo a > a.txt, exit 4, echo c > c.txt]',
        '    outs: [a.txt]',
      ),
    });
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    expect(allOutput(r)).toContain('bad: failed: command 2 of 3 exited with code 4');
    expect(p.exists('c.txt')).toBe(false);
    expect(p.lockText()).toBeUndefined();
    expect(containersOf(p.dir)).toEqual([]);
  });

  it('a container killed for memory is reported as out of memory with its limit', async () => {
    const p = project({
      'pipeline.yaml': yamlLines(
        'stages:',
        ...dockerStage('hungry', PYTHON),
        '    resources: {mem_gb: 0.1}',
        `    cmd: python3 -c "x = 'x' * (512 << 20); print(len(x))" > o.txt`,
        '    outs: [o.txt]',
      ),
    });
    const r = await p.run(['repro']);
    expect(r.code).toBe(1);
    expect(allOutput(r)).toContain('hungry: failed: killed: out of memory (limit 0.1 GiB)');
    expect(containersOf(p.dir)).toEqual([]);
  });

  it('no engine, a missing image, a missing mount source: clear errors, exit 2, nothing written', async () => {
    const pipeline = (image: string, mounts = '') =>
      yamlLines('stages:', ...dockerStage('s', image, ...(mounts ? [`      mounts: [${mounts}]`] : [])), '    cmd: echo x > o.txt', '    outs: [o.txt]');
    const p = project({ 'pipeline.yaml': pipeline(BUSYBOX) });

    const noEngine = await p.run(['repro'], { env: { DOCKER_HOST: `unix://${p.dir}/no-such-docker.sock` } });
    expect(noEngine.code).toBe(2);
    expect(noEngine.stderr).toContain(`pipeline.yaml:2:3: error: stage "s" runs in Docker, but no Docker engine answers at unix://${p.dir}/no-such-docker.sock`);
    expect(noEngine.stderr).toMatch(/hint: no Docker engine answers at .*: start it/);

    p.write('pipeline.yaml', pipeline('orchestrator-test/does-not-exist:1'));
    const noImage = await p.run(['repro']);
    expect(noImage.code).toBe(2);
    expect(noImage.stderr).toContain('error: stage "s" needs image "orchestrator-test/does-not-exist:1", which does not exist in the Docker engine');
    expect(noImage.stderr).toContain('hint: build or load it first');

    p.write('pipeline.yaml', pipeline(BUSYBOX, '/no/such/tools:/tools:ro'));
    const noMount = await p.run(['repro']);
    expect(noMount.code).toBe(2);
    expect(noMount.stderr).toContain('error: stage "s": mount source "/no/such/tools" does not exist (mount "/no/such/tools:/tools:ro")');

    for (const r of [noEngine, noImage, noMount]) expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(p.lockText()).toBeUndefined();
    expect(p.exists('o.txt')).toBe(false);
  });
});

describe('docker executor: interruption and crashes', () => {
  const blocking = (name: string) =>
    yamlLines(
      'stages:',
      ...dockerStage(name, BUSYBOX),
      `    cmd: ${tick(name)} && if [ "$(wc -l < .runs/${name})" -eq 1 ]; then touch started; sleep 120; fi; echo done > o.txt`,
      '    outs: [o.txt]',
    );

  it('Ctrl-C during a container stage stops and removes the container and exits 130', async () => {
    const p = project({ 'pipeline.yaml': blocking('slow') });
    const bg = p.start(['repro']);
    await waitFor(() => p.exists('started'), 'the container stage to start');
    expect(containersOf(p.dir)).toHaveLength(1);
    bg.child.kill('SIGINT');
    const r = await bg.result;
    expect(r.code, allOutput(r)).toBe(130);
    expect(containersOf(p.dir)).toEqual([]);
    expect(p.lockText()).toBeUndefined();
  });

  it('a second Ctrl-C removes the containers synchronously before exiting', async () => {
    // The stage ignores SIGTERM, so the first Ctrl-C's graceful stop is still waiting when the second arrives.
    const p = project({
      'pipeline.yaml': yamlLines('stages:', ...dockerStage('stubborn', BUSYBOX), `    cmd: trap "" TERM; touch started; sleep 120`, '    outs: [o.txt]'),
    });
    const bg = p.start(['repro']);
    await waitFor(() => p.exists('started'), 'the container stage to start');
    bg.child.kill('SIGINT');
    await waitFor(() => /interrupt|stopping|cancel/i.test(bg.stdout() + bg.stderr()), 'the first Ctrl-C to be acknowledged');
    bg.child.kill('SIGINT');
    const r = await bg.result;
    expect(r.code).toBe(130);
    expect(containersOf(p.dir)).toEqual([]);
  });

  it('after the orchestrator is SIGKILLed, the next run removes the leftover container and reruns the stage', async () => {
    const p = project({ 'pipeline.yaml': blocking('slow') });
    const bg = p.start(['repro']);
    await waitFor(() => p.exists('started'), 'the container stage to start');
    const journals = () => p.listFiles('.orchestrator/running').map((f) => p.read(`.orchestrator/running/${f}`)).join('');
    await waitFor(() => /"stage":"slow".*"handleId":"[0-9a-f]{12,}"/.test(journals()), 'the marker to name the container');
    bg.child.kill('SIGKILL');
    await bg.result;
    const [leftover] = containersOf(p.dir);
    expect(leftover).toBeDefined();

    await p.runOk(['repro', '--no-wait']);
    expect(containersOf(p.dir)).toEqual([]);
    expect(p.runs('slow')).toBe(2);
    expect(p.read('o.txt')).toBe('done\n');
  });

  it('containers labelled with the workspace but recorded nowhere are removed before anything runs', async () => {
    const p = project({
      'pipeline.yaml': yamlLines('stages:', ...dockerStage('quick', BUSYBOX), '    cmd: echo ok > o.txt', '    outs: [o.txt]'),
    });
    const started = docker('run', '-d', '--label', `orchestrator.root=${p.dir}`, '--label', 'orchestrator.run-id=dead-run', BUSYBOX, 'sleep', '120');
    expect(started.status, started.stderr).toBe(0);
    expect(containersOf(p.dir)).toHaveLength(1);
    await p.runOk(['repro']);
    expect(containersOf(p.dir)).toEqual([]);
  });
});

describe('docker executor: start-up and doctor', () => {
  it('status of a local-only pipeline does not load dockerode; a Docker pipeline does', async () => {
    const local = project({ 'pipeline.yaml': yamlLines('stages:', '  l:', '    cmd: echo x > o.txt', '    outs: [o.txt]') });
    const trace = { NODE_DEBUG: 'module' };
    const localStatus = await local.runOk(['status'], 0, { env: trace });
    expect(localStatus.stderr).not.toContain('docker-modem');
    const localRepro = await local.runOk(['repro'], 0, { env: trace });
    expect(localRepro.stderr).not.toContain('docker-modem');

    const withDocker = project({ 'pipeline.yaml': yamlLines('stages:', ...dockerStage('d', BUSYBOX), '    cmd: echo x > o.txt', '    outs: [o.txt]') });
    const dockerStatus = await withDocker.runOk(['status'], 0, { env: trace });
    expect(dockerStatus.stderr).toContain('docker-modem');
  });

  it('doctor: engine version, the images the pipeline needs, mount sources; exit 1 when something is missing', async () => {
    const tools = hostDir();
    mkdirSync(path.join(tools, 'Vivado'));
    const p = project({
      'pipeline.yaml': yamlLines(
        'stages:',
        ...dockerStage('a', BUSYBOX, `      mounts: ["${tools}:/tools:ro"]`),
        '    cmd: echo a > a.txt',
        '    outs: [a.txt]',
        ...dockerStage('b', 'orchestrator-test/absent:1', '      mounts: [/no/such/dir]'),
        '    cmd: echo b > b.txt',
        '    outs: [b.txt]',
      ),
    });
    const r = await p.run(['doctor', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ name: string; status: string; detail: string; hint?: string }> };
    expect(doc.ok).toBe(false);
    const byName = Object.fromEntries(doc.checks.map((c) => [c.name, c]));
    expect(byName['Docker engine']).toMatchObject({ status: 'ok' });
    expect(byName['Docker engine']!.detail).toMatch(/^\d+\.\d+/);
    expect(byName[`image ${BUSYBOX}`]).toMatchObject({ status: 'ok' });
    expect(byName[`image ${BUSYBOX}`]!.detail).toContain('used by a');
    expect(byName['image orchestrator-test/absent:1']).toMatchObject({ status: 'fail' });
    expect(byName[`mount ${tools}`]).toMatchObject({ status: 'ok' });
    expect(byName['mount /no/such/dir']).toMatchObject({ status: 'fail' });

    const table = await p.run(['doctor']);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^✓ Docker engine\s+\d/m);
    expect(table.stdout).toMatch(/^✗ image orchestrator-test\/absent:1\s+not found, used by b\n\s+hint: build or load it first/m);

    p.write('pipeline.yaml', yamlLines('stages:', ...dockerStage('a', BUSYBOX), '    cmd: echo a > a.txt', '    outs: [a.txt]'));
    expect((await p.run(['doctor'])).code).toBe(0);
  });
});
