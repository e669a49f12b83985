import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RemoteConfig } from '../cache/remote/backend.js';
import { writeFileAtomicSync } from '../util/atomic-write.js';
import { closestMatch } from './did-you-mean.js';
import { iniSections, parseIni, serializeIni, type IniDocument } from './ini.js';

/*
 * The project config: remotes and cache settings, in DVC's INI format (see README "Remotes and
 * shared caches" for why INI and not YAML). Two files, read in this order, the second overriding
 * per option:
 *   .orchestrator/config         committed: remotes, the default remote, cache.dir / cache.shared
 *   .orchestrator/config.local   git-ignored: per-user options (keyfile, profile, credentials)
 * When neither exists, a DVC project's `.dvc/config` (+ `.dvc/config.local`) is read instead, so a
 * migrating user's `dvc pull` remote works as is.
 */

export const CONFIG_FILE = '.orchestrator/config';
export const LOCAL_CONFIG_FILE = '.orchestrator/config.local';
const DVC_FILES = ['.dvc/config', '.dvc/config.local'] as const;

/** Options a remote section may hold (DVC's names). */
export const REMOTE_OPTIONS = [
  'url',
  'jobs',
  // S3 and S3-compatible
  'endpointurl',
  'region',
  'profile',
  'credentialpath',
  'ssl_verify',
  'access_key_id',
  'secret_access_key',
  'session_token',
  // SSH/SFTP
  'user',
  'port',
  'keyfile',
  'known_hosts',
  'timeout',
  'allow_agent',
  'password',
  'passphrase',
] as const;

/** Never in the committed file: anyone with the repository would have them. */
export const SECRET_OPTIONS: ReadonlySet<string> = new Set(['access_key_id', 'secret_access_key', 'session_token', 'password', 'passphrase']);

const CORE_OPTIONS = ['remote'] as const;
const CACHE_OPTIONS = ['dir', 'shared'] as const;

export interface ConfigProblem {
  /** Relative to the workspace root. */
  file: string;
  line?: number;
  column?: number;
  message: string;
  hint?: string;
}

export interface ConfiguredRemote extends RemoteConfig {
  /** The url as written (relative paths unresolved), for `remote list`. */
  writtenUrl: string;
  /** The file each option came from (relative to the root). */
  sources: Record<string, string>;
}

export interface ProjectConfig {
  /** Which files were read: ours, DVC's (a migrating project), or none. */
  origin: 'orchestrator' | 'dvc' | 'none';
  remotes: Map<string, ConfiguredRemote>;
  defaultRemote?: string;
  /** Absolute; relative paths in the file are relative to the file's folder (as DVC). */
  cacheDir?: string;
  cacheShared?: 'group';
}

export const remoteSection = (name: string): string => `remote "${name}"`;
const REMOTE_SECTION_RE = /^remote "(.+)"$/;

export function loadProjectConfig(root: string): { ok: true; value: ProjectConfig } | { ok: false; error: ConfigProblem } {
  const ours = [CONFIG_FILE, LOCAL_CONFIG_FILE].filter((f) => existsSync(path.join(root, f)));
  const dvc = ours.length === 0 ? DVC_FILES.filter((f) => existsSync(path.join(root, f))) : [];
  const files = ours.length > 0 ? ours : dvc;
  const strict = ours.length > 0;
  const config: ProjectConfig = { origin: ours.length > 0 ? 'orchestrator' : dvc.length > 0 ? 'dvc' : 'none', remotes: new Map() };
  for (const file of files) {
    const parsed = readIniFile(root, file);
    if (!parsed.ok) return parsed;
    const problem = applyFile(root, file, parsed.doc, config, strict);
    if (problem) return { ok: false, error: problem };
  }
  if (config.defaultRemote !== undefined && !config.remotes.has(config.defaultRemote) && strict) {
    return { ok: false, error: { file: CONFIG_FILE, message: `core.remote names "${config.defaultRemote}", which is not a configured remote`, hint: 'orchestrator remote default NAME, or orchestrator remote list' } };
  }
  for (const [name, r] of config.remotes) {
    if (r.url === '') return { ok: false, error: { file: files[0]!, message: `remote "${name}" has no url`, hint: `orchestrator remote modify ${name} url URL` } };
  }
  return { ok: true, value: config };
}

export function readIniFile(root: string, file: string): { ok: true; doc: IniDocument } | { ok: false; error: ConfigProblem } {
  const abs = path.join(root, file);
  if (!existsSync(abs)) return { ok: true, doc: { lines: [] } };
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    return { ok: false, error: { file, message: `cannot read: ${(e as Error).message}` } };
  }
  const parsed = parseIni(text);
  if (!parsed.ok) return { ok: false, error: { file, line: parsed.problem.line, column: parsed.problem.column, message: parsed.problem.message } };
  return parsed;
}

function lineOf(doc: IniDocument, section: string, key?: string): number | undefined {
  const i = doc.lines.findIndex((l) => l.section === section && (key === undefined ? l.kind === 'header' : l.kind === 'entry' && l.key === key));
  return i < 0 ? undefined : i + 1;
}

function applyFile(root: string, file: string, doc: IniDocument, config: ProjectConfig, strict: boolean): ConfigProblem | undefined {
  const at = (section: string, key: string | undefined, message: string, hint?: string): ConfigProblem => {
    const line = lineOf(doc, section, key);
    return { file, ...(line ? { line, column: 1 } : {}), message, ...(hint ? { hint } : {}) };
  };
  const unknown = (section: string, key: string, known: readonly string[]) => {
    const near = closestMatch(key, known);
    return at(section, key, `unknown option "${key}" in [${section}]`, near ? `did you mean "${near}"?` : `known options: ${known.join(', ')}`);
  };
  const dir = path.dirname(path.join(root, file));
  for (const [section, options] of iniSections(doc)) {
    const remote = REMOTE_SECTION_RE.exec(section);
    if (remote) {
      const name = remote[1] as string;
      const r: ConfiguredRemote = config.remotes.get(name) ?? { name, url: '', writtenUrl: '', options: {}, sources: {} };
      const opts: Record<string, string> = { ...r.options };
      for (const [key, value] of options) {
        if (!(REMOTE_OPTIONS as readonly string[]).includes(key)) {
          if (strict) return unknown(section, key, REMOTE_OPTIONS);
          continue;
        }
        if (strict && file === CONFIG_FILE && SECRET_OPTIONS.has(key)) {
          return at(section, key, `"${key}" is a credential and must not be in the committed ${CONFIG_FILE}`, `move it: orchestrator remote modify --local ${name} ${key} VALUE (or use the environment / your profile)`);
        }
        r.sources[key] = file;
        if (key === 'url') {
          if (strict && file === CONFIG_FILE && urlHasPassword(value)) return at(section, key, `the url of remote "${name}" holds a password`, 'put credentials in .orchestrator/config.local or your ssh agent / AWS profile');
          r.writtenUrl = value;
          r.url = resolveUrl(value, dir);
        } else opts[key] = value;
      }
      r.options = opts;
      config.remotes.set(name, r);
    } else if (section === 'core') {
      for (const [key, value] of options) {
        if (key === 'remote') config.defaultRemote = value;
        else if (strict) return unknown(section, key, CORE_OPTIONS);
      }
    } else if (section === 'cache') {
      for (const [key, value] of options) {
        if (key === 'dir') config.cacheDir = path.resolve(dir, value);
        else if (key === 'shared') {
          if (value !== 'group') {
            if (strict) return at(section, key, `cache.shared must be "group" (got "${value}")`);
            continue;
          }
          config.cacheShared = 'group';
        } else if (strict && key !== 'type') return unknown(section, key, CACHE_OPTIONS);
      }
    } else if (strict) {
      return at(section, undefined, `unknown section [${section}]`, 'sections are [core], [cache] and [\'remote "NAME"\']');
    }
  }
  return undefined;
}

/** A URL with a scheme is kept; a plain path (or file://) is made absolute against the config file's folder. */
export function resolveUrl(url: string, baseDir: string): string {
  if (url.startsWith('file://')) return path.resolve(baseDir, url.slice('file://'.length));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url;
  return path.resolve(baseDir, url);
}

export function urlHasPassword(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url);
}

export function isKnownRemoteOption(key: string): boolean {
  return (REMOTE_OPTIONS as readonly string[]).includes(key);
}

export function suggestRemoteOption(key: string): string | undefined {
  return closestMatch(key, REMOTE_OPTIONS);
}

/**
 * Rewrites one config file through `edit` (atomically). The local file gets a `.gitignore` next to
 * it so it is never committed by accident.
 */
export function editConfigFile(root: string, local: boolean, edit: (doc: IniDocument) => IniDocument | ConfigProblem): ConfigProblem | undefined {
  const file = local ? LOCAL_CONFIG_FILE : CONFIG_FILE;
  const read = readIniFile(root, file);
  if (!read.ok) return read.error;
  const next = edit(read.doc);
  if (!('lines' in next)) return next;
  const abs = path.join(root, file);
  mkdirSync(path.dirname(abs), { recursive: true });
  if (local) ensureGitignored(path.dirname(abs));
  writeFileAtomicSync(abs, serializeIni(next));
  return undefined;
}

function ensureGitignored(dir: string): void {
  const ignore = path.join(dir, '.gitignore');
  const text = existsSync(ignore) ? readFileSync(ignore, 'utf8') : '';
  if (text.split('\n').some((l) => l.trim() === '/config.local')) return;
  writeFileAtomicSync(ignore, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}/config.local\n`);
}
