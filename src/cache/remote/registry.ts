import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RemoteError, type RemoteBackend, type RemoteConfig } from './backend.js';

/** `s3`, `ssh`, or `file` for a plain path and `file://`. */
export function schemeOf(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  return m ? (m[1] as string).toLowerCase() : 'file';
}

export const SUPPORTED_SCHEMES: readonly string[] = ['file', 's3', 'ssh'];

/** The module that implements each networked scheme (loaded only when such a remote is used). */
const NETWORK_MODULES: Readonly<Record<string, string>> = { s3: 's3.js', ssh: 'ssh.js' };

/**
 * The backend for a remote, chosen by its URL's scheme. The shared-folder backend is built in; S3
 * and SSH live in their own modules, imported lazily so their SDKs cost nothing to other commands.
 */
export async function openRemote(config: RemoteConfig): Promise<RemoteBackend> {
  const scheme = schemeOf(config.url);
  if (scheme === 'file') {
    const { LocalFolderBackend } = await import('./local.js');
    return LocalFolderBackend.open(config);
  }
  const file = NETWORK_MODULES[scheme];
  if (file === undefined) {
    throw new RemoteError('config', `remote "${config.name}": unsupported url scheme ${scheme}:// (${config.url})`, 'supported: a folder path, file://, s3://bucket/prefix, ssh://user@host:port/path');
  }
  const mod = await importSibling(file);
  if (!mod) throw new RemoteError('config', `remote "${config.name}": ${scheme}:// remotes are not available in this build (src/cache/remote/${file.replace('.js', '.ts')} is missing)`, 'use a shared-folder remote, or a build that includes it');
  return construct(mod, config);
}

/**
 * This folder's module `file`, from the unbundled `dist/cache/remote/` (tests) or, from the CLI's
 * bundle in `dist/bundle/`, the unbundled copy tsc left next to it; undefined when neither exists.
 */
async function importSibling(file: string): Promise<Record<string, unknown> | undefined> {
  // The .ts source last: tests run the sources through vitest.
  for (const rel of [`./${file}`, `../cache/remote/${file}`, `./${file.replace(/\.js$/, '.ts')}`]) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(url))) return (await import(url.href)) as Record<string, unknown>;
  }
  return undefined;
}

type Opener = (config: RemoteConfig) => RemoteBackend | Promise<RemoteBackend>;

/**
 * The module's entry point: `openBackend(config)` (the agreed name), a default export, or else its
 * only exported `open*`/`create*` function or backend class.
 */
async function construct(mod: Record<string, unknown>, config: RemoteConfig): Promise<RemoteBackend> {
  const candidates = ['openBackend', 'default', ...Object.keys(mod).filter((k) => /^(open|create)/.test(k)), ...Object.keys(mod).filter((k) => /Backend$|Remote$/.test(k))];
  for (const name of candidates) {
    const v = mod[name];
    if (typeof v !== 'function') continue;
    const fn = v as { prototype?: unknown; open?: Opener } & Opener;
    if (typeof fn.open === 'function') return fn.open(config);
    if (/^class\s/.test(Function.prototype.toString.call(v))) return new (v as new (c: RemoteConfig) => RemoteBackend)(config);
    return fn(config);
  }
  throw new RemoteError('config', `remote "${config.name}": the ${schemeOf(config.url)} backend module exports no opener`);
}
