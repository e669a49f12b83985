import { createRequire } from 'node:module';

type YamlLib = typeof import('yaml');
let lib: YamlLib | undefined;

/**
 * The `yaml` library (the only YAML parser and emitter), loaded on first use: `--help`, `--version`
 * and commands that read no YAML skip its ~15 ms load. Loaded with `require` from node_modules, not
 * bundled.
 */
export function yamlLib(): YamlLib {
  return (lib ??= createRequire(import.meta.url)('yaml') as YamlLib);
}
