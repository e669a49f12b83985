import type { Document } from 'yaml';
import { yamlLib } from '../util/yaml-lib.js';

/**
 * Offsets `[start, end]` of the first alias that refers to a node containing it (`a: &x [*x]`), or
 * undefined. YAML only lets an alias name an anchor defined before it, so every cycle of aliases
 * has one alias inside its own anchored node: finding those finds every cycle. Such a value is
 * infinite; turning it into JSON (fingerprint, lock) would never end.
 */
export function selfReferencingAlias(doc: Document.Parsed): [number, number] | undefined {
  let found: [number, number] | undefined;
  yamlLib().visit(doc, {
    Alias(_key, alias) {
      const target = alias.resolve(doc);
      const [start, end] = [target?.range?.[0], target?.range?.[1]];
      const at = alias.range?.[0];
      if (start === undefined || end === undefined || at === undefined) return undefined;
      if (at >= start && at < end) {
        found = [at, alias.range![1]];
        return yamlLib().visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}
