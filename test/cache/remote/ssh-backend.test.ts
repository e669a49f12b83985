/**
 * The SSH/SFTP backend against a real sshd (Debian's openssh-server) on 127.0.0.1, started by this
 * file with host and user keys generated here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RemoteError, type RemoteBackend } from '../../../src/cache/remote/backend.js';
import { checkHostKey, parseKnownHosts } from '../../../src/cache/remote/known-hosts.js';
import { openSshBackend, parseSshUrl } from '../../../src/cache/remote/ssh.js';
import { describeBackendContract, objectKey } from './backend-contract.js';
import { freePort, sshKeygen, startSshServer, type SshServer } from './servers.js';

let server: SshServer;
let dir: string;
beforeAll(async () => {
  server = await startSshServer();
  dir = mkdtempSync(path.join(os.tmpdir(), 'orch-ssh-test-'));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function open(options: Record<string, string> = {}, url = server.url): Promise<RemoteBackend> {
  // No agent: the tests choose the key.
  delete process.env['SSH_AUTH_SOCK'];
  return openSshBackend({ name: 'storage', url, options: { keyfile: server.keyfile, known_hosts: server.knownHosts, ...options } });
}

async function failure(p: Promise<unknown>): Promise<RemoteError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RemoteError);
  return err as RemoteError;
}

describeBackendContract('ssh', () => ({
  open: () => open(),
  // Every lookup of a key directory is one opendir on the server.
  lookups: () => server.requests('opendir') + server.requests('open') + server.requests('stat') + server.requests('lstat'),
  largeSize: 3 * 1024 * 1024,
}));

describe('ssh remote', () => {
  test('URL forms: user, port and path; options override them', () => {
    expect(parseSshUrl('ssh://alice@example.org:2222/srv/cache/')).toEqual({ host: 'example.org', port: 2222, user: 'alice', root: '/srv/cache' });
    expect(parseSshUrl('ssh://example.org/srv', { user: 'bob', port: '2200' })).toMatchObject({ user: 'bob', port: 2200 });
    expect(() => parseSshUrl('ssh://h:99999/x')).toThrow(RemoteError);
  });

  test('an upload leaves no temp file behind and creates the key directories', async () => {
    const b = await open();
    try {
      const file = path.join(dir, 'f');
      writeFileSync(file, 'temp then rename');
      const key = objectKey('temp then rename');
      await b.upload(file, key, 16);
      const keyDir = path.join(server.root, path.dirname(key));
      expect(readdirSync(keyDir)).toEqual([path.basename(key)]);
      expect(readFileSync(path.join(server.root, key), 'utf8')).toBe('temp then rename');
    } finally {
      await b.close();
    }
  });

  test('a hashed known_hosts entry ([host]:port form) is accepted', async () => {
    const hashed = path.join(dir, 'known_hosts_hashed');
    writeFileSync(hashed, readFileSync(server.knownHosts));
    execFileSync('ssh-keygen', ['-q', '-H', '-f', hashed]);
    expect(readFileSync(hashed, 'utf8')).toMatch(/^\|1\|/);
    const b = await open({ known_hosts: hashed });
    try {
      expect(await b.existing([objectKey('nothing')])).toEqual(new Set());
    } finally {
      await b.close();
    }
  });

  test('a host missing from known_hosts fails with kind host-key and the ssh-keyscan command', async () => {
    const empty = path.join(dir, 'known_hosts_empty');
    writeFileSync(empty, '# nothing\n');
    const b = await open({ known_hosts: empty });
    try {
      const err = await failure(b.existing([objectKey('a')]));
      expect(err.kind).toBe('host-key');
      expect(err.message).toContain(`[127.0.0.1]:${server.port} is not in ${empty}`);
      expect(err.hint).toContain(`ssh-keyscan -p ${server.port} 127.0.0.1 >> ${empty}`);
    } finally {
      await b.close();
    }
  });

  test('a different recorded host key fails with kind host-key (mismatch) and never authenticates', async () => {
    const otherKey = path.join(dir, 'other_host');
    sshKeygen(otherKey);
    const wrong = path.join(dir, 'known_hosts_wrong');
    writeFileSync(wrong, `[127.0.0.1]:${server.port} ${readFileSync(`${otherKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    const accepted = (server.log.match(/Accepted publickey/g) ?? []).length;
    const b = await open({ known_hosts: wrong });
    try {
      const err = await failure(b.upload(path.join(dir, 'f'), objectKey('x'), 1));
      expect(err.kind).toBe('host-key');
      expect(err.message).toContain('HOST KEY MISMATCH');
      expect(err.hint).toContain(`ssh-keygen -f ${wrong} -R '[127.0.0.1]:${server.port}'`);
      expect((server.log.match(/Accepted publickey/g) ?? []).length).toBe(accepted);
    } finally {
      await b.close();
    }
  });

  test('a key the server does not accept fails with kind auth naming the user and the key tried', async () => {
    const stranger = path.join(dir, 'stranger_ed25519');
    sshKeygen(stranger);
    const b = await open({ keyfile: stranger });
    try {
      const err = await failure(b.existing([objectKey('a')]));
      expect(err.kind).toBe('auth');
      expect(err.message).toContain(`authentication failed for user '${server.user}' (tried ${stranger})`);
      expect(err.hint).toContain('authorized_keys');
    } finally {
      await b.close();
    }
  });

  test('a keyfile that does not exist is a config error', async () => {
    await expect(open({ keyfile: path.join(dir, 'no-such-key') })).rejects.toMatchObject({ kind: 'config' });
  });

  test('connection refused is transient', async () => {
    const port = await freePort();
    const b = await open({}, `ssh://${server.user}@127.0.0.1:${port}${server.root}`);
    try {
      expect((await failure(b.existing([objectKey('a')]))).kind).toBe('transient');
    } finally {
      await b.close();
    }
  });

  test('sshd killed and restarted: transient while down, the same backend reconnects after', async () => {
    const b = await open();
    try {
      const file = path.join(dir, 'restart');
      writeFileSync(file, 'survives a restart');
      const key = objectKey('survives a restart');
      await b.upload(file, key, 18);
      await server.kill();
      expect((await failure(b.existing([key]))).kind).toBe('transient');
      await server.restart();
      expect(await b.existing([key])).toEqual(new Set([key]));
    } finally {
      await b.close();
    }
  });
});

describe('known_hosts matching', () => {
  const key = Buffer.from('the key blob');
  const other = Buffer.from('another key');
  const line = (hosts: string, k = key, marker = ''): string => `${marker}${hosts} ssh-ed25519 ${k.toString('base64')}`;

  test('plain names, [host]:port, wildcards and negation', () => {
    expect(checkHostKey(parseKnownHosts(line('example.org')), 'example.org', 22, key).status).toBe('ok');
    expect(checkHostKey(parseKnownHosts(line('example.org')), 'example.org', 2222, key).status).toBe('unknown');
    expect(checkHostKey(parseKnownHosts(line('[example.org]:2222')), 'example.org', 2222, key).status).toBe('ok');
    expect(checkHostKey(parseKnownHosts(line('*.example.org,!bad.example.org')), 'a.example.org', 22, key).status).toBe('ok');
    expect(checkHostKey(parseKnownHosts(line('*.example.org,!bad.example.org')), 'bad.example.org', 22, key).status).toBe('unknown');
  });

  test('another key for the host is a mismatch; a revoked key is refused even when also listed', () => {
    expect(checkHostKey(parseKnownHosts(line('h', other)), 'h', 22, key)).toEqual({ status: 'mismatch', knownTypes: ['ssh-ed25519'] });
    expect(checkHostKey(parseKnownHosts(`${line('h')}\n${line('h', key, '@revoked ')}`), 'h', 22, key).status).toBe('revoked');
  });
});
