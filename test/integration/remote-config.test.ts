import { afterEach, describe, expect, it } from 'vitest';
import { cleanupProjects, createProject, STACK_FRAME } from './harness.js';

afterEach(cleanupProjects);

const pipeline = 'stages:\n  gen:\n    cmd: cp in.txt out.txt\n    deps: [in.txt]\n    outs: [out.txt]\n';

describe('remote config', () => {
  it('remote add/list/modify/default/remove round-trip through .orchestrator/config in DVC\'s format', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline });
    await p.runOk(['remote', 'add', '-d', 'origin', 's3://bucket/prefix']);
    await p.runOk(['remote', 'add', 'nas', '../nas/cache']);
    await p.runOk(['remote', 'modify', 'origin', 'endpointurl', 'http://127.0.0.1:4569']);
    await p.runOk(['remote', 'modify', 'origin', 'region', 'us-east-1']);
    expect(p.read('.orchestrator/config')).toBe(
      [`['remote "origin"']`, '    url = s3://bucket/prefix', '    endpointurl = http://127.0.0.1:4569', '    region = us-east-1', '[core]', '    remote = origin', `['remote "nas"']`, '    url = ../../nas/cache', ''].join('\n'),
    );
    const list = JSON.parse((await p.runOk(['remote', 'list', '--json'])).stdout) as { default: string; remotes: { name: string; url: string; resolved: string; default: boolean; options: Record<string, string> }[] };
    expect(list.default).toBe('origin');
    expect(list.remotes.map((r) => [r.name, r.url, r.default])).toEqual([
      ['origin', 's3://bucket/prefix', true],
      ['nas', '../../nas/cache', false],
    ]);
    // Relative to the workspace on the command line, stored relative to .orchestrator/ (as DVC), resolved back the same.
    expect(list.remotes[1]!.resolved).toBe(p.abs('../nas/cache').replace(/\/[^/]+\/\.\.\//, '/'));
    expect(list.remotes[0]!.options).toEqual({ endpointurl: 'http://127.0.0.1:4569', region: 'us-east-1' });

    await p.runOk(['remote', 'default', 'nas']);
    expect((await p.runOk(['remote', 'default'])).stdout).toBe('nas\n');
    const dup = await p.run(['remote', 'add', 'nas', '/elsewhere']);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toContain('remote "nas" already exists');
    await p.runOk(['remote', 'add', '-f', 'nas', '/elsewhere']);
    await p.runOk(['remote', 'remove', 'nas']);
    expect(p.read('.orchestrator/config')).not.toContain('nas');
    expect(p.read('.orchestrator/config')).not.toMatch(/remote = /);
  });

  it('credentials are refused in the committed file, accepted with --local (git-ignored), and never printed', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline });
    await p.runOk(['remote', 'add', '-d', 'origin', 's3://bucket/prefix']);
    const before = p.read('.orchestrator/config');
    for (const opt of ['secret_access_key', 'password', 'access_key_id']) {
      const r = await p.run(['remote', 'modify', 'origin', opt, 'hunter2']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`"${opt}" is a credential and must not go into the committed .orchestrator/config`);
      expect(r.stderr).toContain('--local');
    }
    const url = await p.run(['remote', 'add', 'ssh', 'ssh://me:hunter2@host/path']);
    expect(url.code).toBe(2);
    expect(p.read('.orchestrator/config')).toBe(before);

    await p.runOk(['remote', 'modify', '--local', 'origin', 'secret_access_key', 'hunter2']);
    await p.runOk(['remote', 'modify', '--local', 'origin', 'profile', 'lab']);
    expect(p.read('.orchestrator/config')).toBe(before);
    expect(p.read('.orchestrator/config.local')).toContain('secret_access_key = hunter2');
    expect(p.read('.orchestrator/.gitignore')).toBe('/config.local\n');
    const list = await p.runOk(['remote', 'list', '--json']);
    expect(list.stdout).not.toContain('hunter2');
    expect(JSON.parse(list.stdout).remotes[0].options).toEqual({ secret_access_key: '(set)', profile: 'lab' });

    // Written by hand into the committed file: a positioned error, exit 2.
    p.write('.orchestrator/config', `${before}['remote "origin"']\n    password = hunter2\n`);
    const r = await p.run(['push']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('.orchestrator/config:6:1: error: "password" is a credential and must not be in the committed .orchestrator/config');
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('a malformed config or an unknown option is a positioned error with a suggestion', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline, 'in.txt': 'x\n' });
    p.write('.orchestrator/config', `['remote "origin"']\n    url = /tmp/x\n    endpoint_url = http://h\n`);
    const r = await p.run(['remote', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('.orchestrator/config:3:1: error: unknown option "endpoint_url" in [remote "origin"]\n  hint: did you mean "endpointurl"?\n');
    p.write('.orchestrator/config', `[core\n`);
    const bad = await p.run(['repro']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('.orchestrator/config:1:1: error: a section header must end with "]"');
    expect(p.exists('pipeline.lock')).toBe(false);
    const unknown = await p.run(['remote', 'modify', 'origin', 'endpoinurl', 'x']);
    expect(unknown.code).toBe(2);
  });

  it('reads the remotes of an existing DVC project when it has no config of its own', async () => {
    const p = createProject({
      'pipeline.yaml': pipeline,
      '.dvc/config': `[core]\n    remote = storage\n    autostage = true\n['remote "storage"']\n    url = ../shared/dvc-store\n[state]\n    row_limit = 100\n`,
    });
    const list = JSON.parse((await p.runOk(['remote', 'list', '--json'])).stdout) as { origin: string; default: string; remotes: { name: string; resolved: string }[] };
    expect(list.origin).toBe('dvc');
    expect(list.default).toBe('storage');
    // Relative to .dvc/, as DVC resolves it.
    expect(list.remotes).toEqual([expect.objectContaining({ name: 'storage', resolved: `${p.dir}/shared/dvc-store` })]);
  });

  it('config cache.dir stores a path relative to .orchestrator/, and cache.shared accepts only group', async () => {
    const p = createProject({ 'pipeline.yaml': pipeline });
    await p.runOk(['config', 'cache.dir', '../shared-cache']);
    expect(p.read('.orchestrator/config')).toBe('[cache]\n    dir = ../../shared-cache\n');
    const bad = await p.run(['config', 'cache.shared', 'world']);
    expect(bad.code).toBe(2);
    await p.runOk(['config', 'cache.shared', 'group']);
    expect(JSON.parse((await p.runOk(['config', 'cache.shared', '--json'])).stdout)).toEqual({ key: 'cache.shared', value: 'group' });
  });
});
