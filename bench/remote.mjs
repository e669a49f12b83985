// Push and pull through remotes against `rclone copy` of the same data to the same server (run
// `npm run build` first; needs /usr/sbin/sshd and rclone: .ci/setup.sh installs them). Prints numbers.
//   node bench/remote.mjs [--files 20000] [--size 100] [--big 4] [--big-mb 1024] [--jobs 8]
//                         [--remotes s3,ssh,folder] [--rounds 3] [--dir DIR] [--also-plain-node]
// A workspace builds two stages, `small` (FILES files of SIZE KB) and `big` (BIG files of BIG-MB MB).
// For each remote and each stage: `orchestrator push STAGE` from that workspace, then `orchestrator
// fetch STAGE` (download and verify into the cache) and `orchestrator pull STAGE` (fetch, then place
// verified copies in the workspace), each into a fresh clone; and `rclone copy` of the stage's output
// folder to the same server, then back into a fresh folder, and `cp -r` of that folder (a pull writes
// the bytes twice, into the cache and the workspace; the last row holds it to rclone copy + cp -r,
// the peers doing the same writes, with no `sync` between the two, as a pull has none between its
// writes). Both use JOBS transfers at
// once (rclone: --transfers JOBS --checkers 2*JOBS). Servers are private instances on 127.0.0.1:
// s3rver (node_modules) on a fresh folder, sshd with generated keys, and a plain folder.
// Each measurement is repeated ROUNDS times (each round into fresh places on the server; rounds
// alternate whether the orchestrator or rclone goes first); the table shows medians, the ratio of
// the medians, and the range of the per-round ratios (this VM's times vary by ±30% from run to run).
// Nothing is deleted between the timed commands of a round: on ext4 without a journal (this VM's
// disk) creating files within a minute of deleting thousands costs seconds of system time (the
// inode allocator passes over recently deleted inodes, reading each one's deletion time), so a
// deletion would slow whichever command came next, by chance more for one side than the other.
// At the end of a round of the small files its files go, then `sync`, then a wait of 61 s.
// The orchestrator is run as users run it, as a program (bin/orchestrator.js through /bin/sh, which
// sets glibc's MALLOC_TOP_PAD_ for it). --also-plain-node times each fetch and pull a second time
// started as `node bin/orchestrator.js` (glibc's malloc defaults), in the same rounds, as extra rows.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'bin', 'orchestrator.js');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const nFiles = Number(opt('files', '20000'));
const sizeKB = Number(opt('size', '100'));
const nBig = Number(opt('big', '4'));
const bigMB = Number(opt('big-mb', '1024'));
const jobs = Number(opt('jobs', '8'));
const remotes = opt('remotes', 's3,ssh,folder').split(',');
const rounds = Number(opt('rounds', '3'));
const alsoPlain = argv.includes('--also-plain-node');
const base = mkdtempSync(path.join(opt('dir', repo), '.orchestrator-bench-remote-'));

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
  return r;
}
function timed(cmd, args, options, flushFirst = true) {
  // Each timed command starts with no dirty pages of the one before (a push's gigabytes being written
  // back would otherwise slow down whichever command comes next).
  if (flushFirst) run('sync', []);
  const t = process.hrtime.bigint();
  run(cmd, args, options);
  return Number(process.hrtime.bigint() - t) / 1e9;
}
const orch = (ws, ...args) => timed(cli, ['-C', ws, ...args]);
const orchPlain = (ws, ...args) => timed(process.execPath, [cli, '-C', ws, ...args]);
/**
 * Removes `paths` and, when they held many files, lets ext4's memory of the deletions lapse (see the
 * top) before the next round: `sync`, then 61 s (deleted inodes count as recent for 60 s once their
 * inode table blocks are on disk, 360 s while those are dirty).
 */
function settle(paths, manyFiles) {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
  run('sync', []);
  if (manyFiles) run('sleep', ['61']);
}

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}
function waitFor(child, re) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const on = (d) => {
      seen += d;
      const m = re.exec(seen);
      if (m) resolve(m);
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    children.add(child);
    child.once('exit', (c) => reject(new Error(`server exited (${c}): ${seen}`)));
  });
}
const children = new Set();
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));
async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill();
  await exited;
}

/** Starts the server for `kind`; returns the remote URL, its options, rclone's remote and a stop(). */
async function startServer(kind) {
  const home = path.join(base, `server-${kind}`);
  mkdirSync(home, { recursive: true });
  if (kind === 'folder') {
    return { url: (r) => path.join(home, `store-r${r}`), options: {}, local: {}, rclone: (sub) => path.join(home, 'rclone', sub), wipe: (r) => [path.join(home, `store-r${r}`), path.join(home, 'rclone', `r${r}`)], env: {}, stop: async () => {} };
  }
  if (kind === 's3') {
    const child = spawn(process.execPath, [path.join(repo, 'node_modules/s3rver/bin/s3rver.js'), '-s', '-d', home, '-a', '127.0.0.1', '-p', '0', '--configure-bucket', 'bench'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const port = Number((await waitFor(child, /listening on 127\.0\.0\.1:(\d+)/))[1]);
    const endpoint = `http://127.0.0.1:${port}`;
    const env = { RCLONE_CONFIG_BS3_TYPE: 's3', RCLONE_CONFIG_BS3_PROVIDER: 'Other', RCLONE_CONFIG_BS3_ENDPOINT: endpoint, RCLONE_CONFIG_BS3_ACCESS_KEY_ID: 'S3RVER', RCLONE_CONFIG_BS3_SECRET_ACCESS_KEY: 'S3RVER', RCLONE_CONFIG_BS3_FORCE_PATH_STYLE: 'true' };
    // s3rver keeps each bucket as a folder of files: a finished round's objects are removed there.
    return { url: (r) => `s3://bench/store-r${r}`, options: { endpointurl: endpoint }, local: { access_key_id: 'S3RVER', secret_access_key: 'S3RVER' }, rclone: (sub) => `bs3:bench/rclone/${sub}`, wipe: (r) => [path.join(home, 'bench', `store-r${r}`), path.join(home, 'bench', 'rclone', `r${r}`)], env, stop: () => stop(child) };
  }
  // ssh: a private sshd, as test/cache/remote/servers.ts starts it.
  mkdirSync('/run/sshd', { recursive: true });
  for (const k of ['host', 'user']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(home, k)]);
  copyFileSync(path.join(home, 'user.pub'), path.join(home, 'authorized_keys'));
  const port = await freePort();
  const root = path.join(home, 'root');
  mkdirSync(root);
  writeFileSync(path.join(home, 'sshd_config'), [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${home}/host`, `PidFile ${home}/sshd.pid`, `AuthorizedKeysFile ${home}/authorized_keys`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'UsePAM no', 'StrictModes no', 'Subsystem sftp internal-sftp', ''].join('\n'));
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', path.join(home, 'sshd_config')], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitFor(child, /Server listening/);
  const knownHosts = path.join(home, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${readFileSync(path.join(home, 'host.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  const user = os.userInfo().username;
  const env = { RCLONE_CONFIG_BSSH_TYPE: 'sftp', RCLONE_CONFIG_BSSH_HOST: '127.0.0.1', RCLONE_CONFIG_BSSH_PORT: String(port), RCLONE_CONFIG_BSSH_USER: user, RCLONE_CONFIG_BSSH_KEY_FILE: path.join(home, 'user'), RCLONE_CONFIG_BSSH_KNOWN_HOSTS_FILE: knownHosts,
    // The orchestrator checks hashes locally (on pull); rclone's remote `md5sum` per file through the
    // user's login shell would measure the shell, not the transfer.
    RCLONE_CONFIG_BSSH_DISABLE_HASHCHECK: 'true', RCLONE_CONFIG_BSSH_SHELL_TYPE: 'none' };
  return { url: (r) => `ssh://${user}@127.0.0.1:${port}${root}/store-r${r}`, options: { keyfile: path.join(home, 'user'), known_hosts: knownHosts }, local: {}, rclone: (sub) => `bssh:${root}/rclone/${sub}`, wipe: (r) => [path.join(root, `store-r${r}`), path.join(root, 'rclone', `r${r}`)], env, stop: () => stop(child) };
}

// --- the workspace: two stages whose outputs are generated by a small script.
const wsA = path.join(base, 'a');
mkdirSync(wsA);
writeFileSync(
  path.join(wsA, 'gen.mjs'),
  `import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
const [kind, n, size] = process.argv.slice(2).map((v, i) => (i ? Number(v) : v));
if (kind === 'small') {
  const block = randomBytes(size * 1024 + n);
  for (let i = 0; i < n; i++) {
    const sub = 'small/d' + String(Math.floor(i / 200)).padStart(3, '0');
    if (i % 200 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(sub + '/f' + i + '.bin', block.subarray(i, i + size * 1024));
  }
} else {
  mkdirSync('big', { recursive: true });
  for (let i = 0; i < n; i++) {
    const fd = openSync('big/part' + i + '.bin', 'w');
    for (let m = 0; m < size; m++) writeSync(fd, randomBytes(1 << 20));
    closeSync(fd);
  }
}
`,
);
writeFileSync(
  path.join(wsA, 'pipeline.yaml'),
  `stages:\n  small:\n    cmd: node gen.mjs small ${nFiles} ${sizeKB}\n    outs: [small]\n  big:\n    cmd: node gen.mjs big ${nBig} ${bigMB}\n    outs: [big]\n`,
);
const sets = [
  ['small', `${nFiles} x ${sizeKB} KB`, nFiles * sizeKB * 1024],
  ['big', `${nBig} x ${bigMB} MB`, nBig * bigMB * 1024 * 1024],
].filter(([, , bytes]) => bytes > 0);
process.stdout.write(`building ${sets.map((s) => s[1]).join(' and ')} in ${wsA} ... `);
run('git', ['init', '-q', wsA]);
const tBuild = orch(wsA, 'repro', ...sets.map((s) => s[0]));
console.log(`${tBuild.toFixed(1)} s`);

const rows = [];
const fmt = (s) => `${s.toFixed(1)} s`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const kind of remotes) {
  const server = await startServer(kind);
  try {
    for (const [stage, label, bytes] of sets) {
      // rclone's S3 client refuses a plain-http endpoint when AWS_CA_BUNDLE is set (some machines set it).
      const { AWS_CA_BUNDLE: _ca, ...inherited } = process.env;
      const env = { ...inherited, ...server.env };
      const t = { push: [], rclonePush: [], fetch: [], pull: [], rclonePull: [], cp: [], fetchPlain: [], pullPlain: [] };
      for (let r = 0; r < rounds; r++) {
        /** What this round made here (clones, rclone's copies): removed when the round ends. */
        const roundFiles = [];
        // A fresh place on the server each round: every push uploads everything.
        run(process.execPath, [cli, '-C', wsA, 'remote', 'add', '-f', '-d', kind, server.url(r)]);
        for (const [k, v] of Object.entries(server.options)) run(process.execPath, [cli, '-C', wsA, 'remote', 'modify', kind, k, v]);
        for (const [k, v] of Object.entries(server.local)) run(process.execPath, [cli, '-C', wsA, 'remote', 'modify', '--local', kind, k, v]);
        const rcloneTo = server.rclone(`r${r}/${stage}`);
        const rclone = (from, to) => timed('rclone', ['copy', '--transfers', String(jobs), '--checkers', String(2 * jobs), from, to], { env });
        /** A fresh clone of A without a cache: the project files and its remote config. */
        const clone = (name) => {
          const ws = path.join(base, `${name}-${kind}-${stage}-r${r}`);
          roundFiles.push(ws);
          mkdirSync(path.join(ws, '.orchestrator'), { recursive: true });
          for (const f of ['pipeline.yaml', 'pipeline.lock', 'gen.mjs', '.orchestrator/config', '.orchestrator/config.local']) {
            try {
              copyFileSync(path.join(wsA, f), path.join(ws, f));
            } catch {
              // config.local exists only for remotes with credentials.
            }
          }
          run('git', ['init', '-q', ws]);
          return ws;
        };
        const orchFirst = r % 2 === 0;
        const ours = {
          push: () => t.push.push(orch(wsA, 'push', '-r', kind, '-j', String(jobs), stage)),
          // fetch = download + verify into the cache: the bytes written once, as rclone copy writes
          // them (and what DVC's published figure measures). pull = fetch + a verified copy of every
          // file into the workspace: the bytes written twice (cache and workspace), as `dvc pull` does.
          down: () => {
            const runs = [[orch, 'fetch', t.fetch], [orch, 'pull', t.pull]];
            if (alsoPlain) runs.push([orchPlain, 'fetch', t.fetchPlain], [orchPlain, 'pull', t.pullPlain]);
            for (const [how, op, times] of runs) times.push(how(clone(`${op}${how === orchPlain ? '-plain' : ''}`), op, '-r', kind, '-j', String(jobs), stage));
          },
        };
        const rcloneDest = path.join(base, `rclone-${kind}-${stage}-r${r}`);
        roundFiles.push(rcloneDest, `${rcloneDest}-cp`);
        const theirs = {
          push: () => t.rclonePush.push(rclone(path.join(wsA, stage), rcloneTo)),
          down: () => {
            t.rclonePull.push(rclone(rcloneTo, rcloneDest));
            // A pull writes the bytes twice (cache, then workspace, as `dvc pull`); rclone copy once.
            // The same second write by the peers: cp -r of what rclone brought down, started at once
            // as a pull's second write is (no `sync` between: rclone's dirty pages are still there).
            t.cp.push(timed('cp', ['-r', rcloneDest, `${rcloneDest}-cp`], {}, false));
          },
        };
        for (const step of ['push', 'down']) for (const who of orchFirst ? [ours, theirs] : [theirs, ours]) who[step]();
        settle([...roundFiles, ...server.wipe(r)], stage === 'small');
      }
      const mbps = (s) => `${(bytes / s / 1e6).toFixed(0)} MB/s`;
      const row = (op, ours, theirs) => {
        const ratios = ours.map((o, i) => o / theirs[i]);
        const range = rounds > 1 ? `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}` : '';
        return [kind, label, op, fmt(median(ours)), fmt(median(theirs)), (median(ours) / median(theirs)).toFixed(2), range, mbps(median(ours))];
      };
      const rcloneAndCp = t.rclonePull.map((s, i) => s + t.cp[i]);
      rows.push(row('push', t.push, t.rclonePush), row('fetch', t.fetch, t.rclonePull), row('pull', t.pull, t.rclonePull), row('pull vs rclone copy + cp -r', t.pull, rcloneAndCp));
      if (alsoPlain) rows.push(row('fetch (plain node)', t.fetchPlain, t.rclonePull), row('pull (plain node) vs rclone copy + cp -r', t.pullPlain, rcloneAndCp));
      console.log(rows.slice(alsoPlain ? -6 : -4).map((r) => r.join('  ')).join('\n'));
    }
  } finally {
    await server.stop();
    rmSync(path.join(base, `server-${kind}`), { recursive: true, force: true });
  }
}

console.log(`\n${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}, jobs ${jobs}, medians of ${rounds} round(s); times include the CLI's start-up`);
console.log('| remote | data | op | orchestrator | rclone copy | ratio | per-round ratios | orchestrator rate |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
rmSync(base, { recursive: true, force: true });
