import {
  CONFIG_FILE,
  editConfigFile,
  isKnownRemoteOption,
  LOCAL_CONFIG_FILE,
  loadProjectConfig,
  remoteSection,
  SECRET_OPTIONS,
  suggestRemoteOption,
  urlHasPassword,
  type ConfigProblem,
  type ProjectConfig,
} from '../../config/remote-config.js';
import { removeSection, setOption, unsetOption } from '../../config/ini.js';
import { schemeOf, SUPPORTED_SCHEMES } from '../../cache/remote/registry.js';
import { EXIT, type Io } from '../io.js';
import path from 'node:path';

/** `file:line:col: error: message` plus a hint, exit 2: the shape of every config error. */
export function reportConfigProblem(p: ConfigProblem, io: Io): number {
  const where = p.line ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  io.err(`${where}: error: ${p.message}\n${p.hint ? `  hint: ${p.hint}\n` : ''}`);
  return EXIT.invalid;
}

function usage(io: Io, message: string, hint?: string): number {
  io.err(`error: ${message}\n${hint ? `  hint: ${hint}\n` : ''}`);
  return EXIT.invalid;
}

function load(root: string, io: Io): ProjectConfig | number {
  const loaded = loadProjectConfig(root);
  return loaded.ok ? loaded.value : reportConfigProblem(loaded.error, io);
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function remoteAddCommand(root: string, name: string, url: string, o: { default: boolean; force: boolean; local: boolean }, io: Io): number {
  if (!NAME_RE.test(name)) return usage(io, `invalid remote name "${name}"`, 'use letters, digits, "_", "-" and "."');
  const scheme = schemeOf(url);
  if (!SUPPORTED_SCHEMES.includes(scheme)) return usage(io, `unsupported remote url "${url}" (scheme ${scheme}://)`, `supported: a folder path, file://, s3://bucket/prefix, ssh://user@host:port/path`);
  if (!o.local && urlHasPassword(url)) return usage(io, 'the url holds a password, which must not go into the committed config', `use ssh keys or an AWS profile, or: orchestrator remote add --local ${name} URL`);
  const config = load(root, io);
  if (typeof config === 'number') return config;
  if (config.origin === 'orchestrator' && config.remotes.has(name) && !o.force) {
    return usage(io, `remote "${name}" already exists`, `use -f to replace it, or orchestrator remote modify ${name} url URL`);
  }
  const problem = editConfigFile(root, o.local, (doc) => {
    let next = o.force ? removeSection(doc, remoteSection(name)) : doc;
    next = setOption(next, remoteSection(name), 'url', relativeToConfig(root, url));
    return o.default ? setOption(next, 'core', 'remote', name) : next;
  });
  if (problem) return reportConfigProblem(problem, io);
  io.out(`Added remote ${name} (${url})${o.default ? ' as the default' : ''} to ${o.local ? LOCAL_CONFIG_FILE : CONFIG_FILE}.\n`);
  return EXIT.ok;
}

export function remoteListCommand(root: string, o: { json: boolean }, io: Io): number {
  const config = load(root, io);
  if (typeof config === 'number') return config;
  const remotes = [...config.remotes.values()].map((r) => ({
    name: r.name,
    url: r.writtenUrl,
    resolved: r.url,
    default: r.name === config.defaultRemote,
    // Credentials are shown as set, never printed.
    options: Object.fromEntries(Object.entries(r.options).map(([k, v]) => [k, SECRET_OPTIONS.has(k) ? '(set)' : v])),
  }));
  if (o.json) {
    io.out(`${JSON.stringify({ origin: config.origin, default: config.defaultRemote ?? null, remotes }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (config.origin === 'dvc') io.err('(read from .dvc/config: this project has no .orchestrator/config yet)\n');
  for (const r of remotes) {
    const opts = Object.entries(r.options).map(([k, v]) => `${k}=${v}`);
    io.out(`${r.name}\t${r.url}${r.default ? '\t(default)' : ''}${opts.length ? `\t${opts.join(' ')}` : ''}\n`);
  }
  return EXIT.ok;
}

export function remoteModifyCommand(root: string, name: string, option: string, value: string | undefined, o: { unset: boolean; local: boolean }, io: Io): number {
  const config = load(root, io);
  if (typeof config === 'number') return config;
  if (!config.remotes.has(name)) return usage(io, `no remote named "${name}"`, 'orchestrator remote list');
  if (!isKnownRemoteOption(option)) {
    const near = suggestRemoteOption(option);
    return usage(io, `unknown remote option "${option}"`, near ? `did you mean "${near}"?` : undefined);
  }
  if (!o.unset && value === undefined) return usage(io, `remote modify ${name} ${option}: missing VALUE (or --unset)`);
  if (!o.local && !o.unset && SECRET_OPTIONS.has(option)) {
    return usage(io, `"${option}" is a credential and must not go into the committed ${CONFIG_FILE}`, `orchestrator remote modify --local ${name} ${option} VALUE, or use the environment (AWS_SECRET_ACCESS_KEY, ssh-agent)`);
  }
  if (option === 'url' && o.unset) return usage(io, 'a remote needs a url', `orchestrator remote remove ${name}`);
  if (option === 'url' && !o.local && urlHasPassword(value!)) return usage(io, 'the url holds a password', 'use --local, ssh keys or an AWS profile');
  const written = option === 'url' && value !== undefined ? relativeToConfig(root, value) : value;
  const problem = editConfigFile(root, o.local, (doc) => (o.unset ? unsetOption(doc, remoteSection(name), option) : setOption(doc, remoteSection(name), option, written!)));
  if (problem) return reportConfigProblem(problem, io);
  return EXIT.ok;
}

export function remoteRemoveCommand(root: string, name: string, io: Io): number {
  const config = load(root, io);
  if (typeof config === 'number') return config;
  if (!config.remotes.has(name) || config.origin !== 'orchestrator') return usage(io, `no remote named "${name}" in ${CONFIG_FILE}`, 'orchestrator remote list');
  for (const local of [false, true]) {
    const problem = editConfigFile(root, local, (doc) => {
      const next = removeSection(doc, remoteSection(name));
      return config.defaultRemote === name ? unsetOption(next, 'core', 'remote') : next;
    });
    if (problem) return reportConfigProblem(problem, io);
  }
  io.out(`Removed remote ${name}.\n`);
  return EXIT.ok;
}

export function remoteDefaultCommand(root: string, name: string | undefined, o: { unset: boolean; local: boolean }, io: Io): number {
  const config = load(root, io);
  if (typeof config === 'number') return config;
  if (name === undefined && !o.unset) {
    if (config.defaultRemote === undefined) {
      io.err('error: no default remote\n  hint: orchestrator remote default NAME\n');
      return EXIT.failed;
    }
    io.out(`${config.defaultRemote}\n`);
    return EXIT.ok;
  }
  if (name !== undefined && !config.remotes.has(name)) return usage(io, `no remote named "${name}"`, 'orchestrator remote list');
  const problem = editConfigFile(root, o.local, (doc) => (o.unset ? unsetOption(doc, 'core', 'remote') : setOption(doc, 'core', 'remote', name!)));
  return problem ? reportConfigProblem(problem, io) : EXIT.ok;
}

const CONFIG_KEYS = ['core.remote', 'cache.dir', 'cache.shared'] as const;

/** `config KEY [VALUE]`: the non-remote settings (as `dvc config` / `dvc cache dir`). */
export function configCommand(root: string, key: string, value: string | undefined, o: { unset: boolean; local: boolean; json: boolean }, io: Io): number {
  if (!(CONFIG_KEYS as readonly string[]).includes(key)) return usage(io, `unknown config key "${key}"`, `known: ${CONFIG_KEYS.join(', ')}; remotes: orchestrator remote modify`);
  const config = load(root, io);
  if (typeof config === 'number') return config;
  const [section, option] = key.split('.') as [string, string];
  if (value === undefined && !o.unset) {
    const current = key === 'core.remote' ? config.defaultRemote : key === 'cache.dir' ? config.cacheDir : config.cacheShared;
    if (o.json) io.out(`${JSON.stringify({ key, value: current ?? null })}\n`);
    else if (current !== undefined) io.out(`${current}\n`);
    return current === undefined && !o.json ? EXIT.failed : EXIT.ok;
  }
  if (key === 'cache.shared' && !o.unset && value !== 'group') return usage(io, 'cache.shared must be "group"');
  if (key === 'core.remote' && !o.unset && !config.remotes.has(value!)) return usage(io, `no remote named "${value}"`, 'orchestrator remote list');
  const written = key === 'cache.dir' && value !== undefined ? relativeToConfig(root, value) : value;
  const problem = editConfigFile(root, o.local, (doc) => (o.unset ? unsetOption(doc, section, option) : setOption(doc, section, option, written!)));
  return problem ? reportConfigProblem(problem, io) : EXIT.ok;
}

/**
 * A relative folder given on the command line means relative to the workspace (where the command
 * runs); the file stores it relative to its own folder, `.orchestrator/`, as DVC does, so it reads
 * the same from any clone.
 */
function relativeToConfig(root: string, url: string): string {
  if (schemeOf(url) !== 'file' || url.startsWith('file://') || path.isAbsolute(url)) return url;
  return path.relative(path.join(root, '.orchestrator'), path.resolve(root, url)) || '.';
}
