/**
 * Private servers for the remote-backend tests: every test file starts its own on a free port of
 * 127.0.0.1 and stops it afterwards, so files run in parallel and leave nothing behind.
 * - S3: the npm package s3rver (a devDependency), run as a child process so a test can kill it.
 * - SSH: Debian's openssh-server (`/usr/sbin/sshd`, installed by .ci/setup.sh) with a host key and a
 *   user key generated here; the user is the one running the tests.
 * A missing server program throws: the tests fail, never skip.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { REPO_ROOT, waitFor } from '../../integration/harness.js';

const SSHD = '/usr/sbin/sshd';
const S3RVER = path.join(REPO_ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js');

/** Resolves with the first match of `re` in the child's output; rejects if it exits first. */
function waitForLine(child: ChildProcess, re: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen += d.toString();
      const m = re.exec(seen);
      if (m) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`${what} exited (${code}) before it was ready; output:\n${seen}`));
    };
    const cleanup = (): void => {
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

/** Process ids of the children (and their children) of `pid`, from /proc. */
function descendants(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((c) => [...descendants(c), c]);
}

/** A port nobody listens on right now (bound, then released). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface S3Server {
  endpoint: string;
  port: number;
  bucket: string;
  /** s3rver's data folder. */
  dir: string;
  /** HTTP requests the server has logged since start (s3rver logs one line per request). */
  requests(): number;
  /**
   * Resolves once every request answered before the call is in `requests()`: s3rver logs a request
   * after answering it, so a count read right after an await can miss the last line. Sends one GET
   * of a missing key (itself counted) and waits for its log line.
   */
  settle(): Promise<void>;
  /** s3rver's request log since start (one line per request: method, path, status). */
  log(): string;
  kill(): Promise<void>;
  /** Starts it again on the same port and folder. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startS3Server(bucket = 'orchestrator-test'): Promise<S3Server> {
  if (!existsSync(S3RVER)) throw new Error(`s3rver is not installed (${S3RVER}); run npm ci`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orch-s3rver-'));
  let child: ChildProcess | undefined;
  let count = 0;
  let settles = 0;
  let log = '';
  let port = 0;
  const start = async (): Promise<void> => {
    child = spawn(process.execPath, [S3RVER, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--configure-bucket', bucket], { stdio: ['ignore', 'pipe', 'pipe'] });
    const m = await waitForLine(child, /listening on 127\.0\.0\.1:(\d+)/, 's3rver');
    port = Number(m[1]);
    // s3rver logs one line per answered request: `... PATH STATUS 12ms 232b`.
    child.stdout?.on('data', (d: Buffer) => {
      count += (d.toString().match(/ [1-5][0-9][0-9] [0-9.]+m?s /g) ?? []).length;
      log += d.toString();
    });
  };
  await start();
  return {
    get endpoint() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    bucket,
    dir,
    requests: () => count,
    settle: async () => {
      const tag = `settle-${++settles}`;
      await new Promise<void>((resolve, reject) => http.get(`http://127.0.0.1:${port}/${bucket}/${tag}`, (r) => r.resume().on('end', resolve)).on('error', reject));
      await waitFor(() => new RegExp(`${tag} [1-5][0-9][0-9] `).test(log), `s3rver to log ${tag}`);
    },
    log: () => log,
    kill: () => stopChild(child, 'SIGKILL'),
    restart: start,
    async stop() {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface SshServer {
  host: '127.0.0.1';
  port: number;
  user: string;
  /** The folder the remote URL points at (inside the server's temp folder). */
  root: string;
  url: string;
  /** The user's private key (authorized on the server) and a known_hosts file with the host key. */
  keyfile: string;
  knownHosts: string;
  /** The folder holding keys and config; tests may write more key files here. */
  home: string;
  /** sshd's own log (connections, authentication). */
  readonly log: string;
  /** SFTP requests logged of `kind` (`opendir`, `open`, `remove`, ...) since start. */
  requests(kind: string): number;
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function sshKeygen(file: string, type = 'ed25519'): void {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'orchestrator-test', '-f', file]);
}

export async function startSshServer(): Promise<SshServer> {
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: install openssh-server (.ci/setup.sh does)`);
  const home = mkdtempSync(path.join(os.tmpdir(), 'orch-sshd-'));
  mkdirSync('/run/sshd', { recursive: true });
  const hostKey = path.join(home, 'host_ed25519');
  const keyfile = path.join(home, 'user_ed25519');
  sshKeygen(hostKey);
  sshKeygen(keyfile);
  writeFileSync(path.join(home, 'authorized_keys'), readFileSync(`${keyfile}.pub`));
  const root = path.join(home, 'remote');
  mkdirSync(root);
  let port = await freePort();
  const config = path.join(home, 'sshd_config');
  const knownHosts = path.join(home, 'known_hosts');
  const sftpLog = path.join(home, 'sftp.log');
  let child: ChildProcess | undefined;
  let log = '';
  const start = async (): Promise<void> => {
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${path.join(home, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(home, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'LogLevel VERBOSE',
        // sftp-server logs each request (opendir, open, ...) to a file the tests count lines of
        // (sshd runs a subsystem through the user's shell, so the redirection works).
        `Subsystem sftp /usr/lib/openssh/sftp-server -e -l VERBOSE 2>>${sftpLog}`,
        '',
      ].join('\n'),
    );
    child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    await waitForLine(child, /Server listening on 127\.0\.0\.1 port (\d+)/, 'sshd');
  };
  await start();
  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostPub}\n`);
  const user = os.userInfo().username;
  return {
    host: '127.0.0.1',
    get port() {
      return port;
    },
    user,
    root,
    get url() {
      return `ssh://${user}@127.0.0.1:${port}${root}`;
    },
    keyfile,
    knownHosts,
    home,
    get log() {
      return log;
    },
    requests: (kind) => (existsSync(sftpLog) ? readFileSync(sftpLog, 'utf8').match(new RegExp(`^${kind} "`, 'gm')) ?? [] : []).length,
    // The listener and the per-connection processes it forked: a crashed server drops every session.
    async kill() {
      for (const pid of descendants(child?.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Exited meanwhile.
        }
      }
      await stopChild(child, 'SIGKILL');
    },
    async restart() {
      await start();
    },
    async stop() {
      await stopChild(child);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

