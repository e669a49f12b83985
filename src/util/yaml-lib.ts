import { createRequire } from 'node:module';

type YamlLib = typeof import('yaml');
let lib: YamlLib | undefined;

/**
 * The `yaml` library, loaded on first use. Most commands never need it (js-yaml reads values; `yaml`
 * supplies source positions for diagnostics and is the lock emitter's reference/fallback), and
 * loading it costs ~15 ms of every start-up. Loaded with `require` from node_modules, not bundled.
 */
export function yamlLib(): YamlLib {
  return (lib ??= createRequire(import.meta.url)('yaml') as YamlLib);
}
