/**
 * OpenSSH `known_hosts` lookup (pure): is this key the one recorded for host:port?
 * Handles comma-separated host patterns with `*`/`?` wildcards and `!` negation, the `[host]:port`
 * form for non-default ports, hashed entries (`|1|salt|hmac-sha1`), and `@revoked` markers.
 * `@cert-authority` lines are ignored (host certificates are not supported).
 */
import { createHash, createHmac } from 'node:crypto';

export type HostKeyVerdict =
  | { status: 'ok' }
  /** No line names this host: it was never added. */
  | { status: 'unknown' }
  /** Lines name this host, but with other keys (of these types): it changed, or someone is in between. */
  | { status: 'mismatch'; knownTypes: string[] }
  | { status: 'revoked' };

/** The name OpenSSH records: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(text);
}

function hashedMatch(entry: string, name: string): boolean {
  const parts = entry.split('|'); // ['', '1', salt, hash]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2] as string, 'base64');
  const want = parts[3] as string;
  return createHmac('sha1', salt).update(name).digest('base64') === want;
}

function hostsMatch(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatch(field, name);
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) matched = true;
  }
  return matched;
}

export interface KnownHostLine {
  marker: '' | '@revoked' | '@cert-authority';
  hosts: string;
  keyType: string;
  key: Buffer;
}

export function parseKnownHosts(text: string): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostLine['marker'] = '';
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') marker = fields.shift() as KnownHostLine['marker'];
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64) continue;
    out.push({ marker, hosts, keyType, key: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** The verdict for `key` (the server's key blob, SSH wire format) at host:port. */
export function checkHostKey(lines: readonly KnownHostLine[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const forHost = lines.filter((l) => l.marker !== '@cert-authority' && hostsMatch(l.hosts, name));
  if (forHost.some((l) => l.marker === '@revoked' && l.key.equals(key))) return { status: 'revoked' };
  const keys = forHost.filter((l) => l.marker === '');
  if (keys.some((l) => l.key.equals(key))) return { status: 'ok' };
  if (keys.length === 0) return { status: 'unknown' };
  return { status: 'mismatch', knownTypes: [...new Set(keys.map((l) => l.keyType))] };
}

/** Key types recorded for host:port, to ask the server for those first (as OpenSSH does). */
export function knownKeyTypes(lines: readonly KnownHostLine[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  return [...new Set(lines.filter((l) => l.marker === '' && hostsMatch(l.hosts, name)).map((l) => l.keyType))];
}

/** `SHA256:…` as `ssh-keygen -lf` prints it, for messages. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}
