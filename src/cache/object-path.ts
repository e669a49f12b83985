import * as path from 'node:path';
import { DIR_SUFFIX } from '../hash/types.js';

const HASH_RE = /^[0-9a-f]{64}(\.dir)?$/;

/** Guards every path built from a hash: a malformed "hash" must never address a file outside the store. */
export function assertHash(hash: string): void {
  if (!HASH_RE.test(hash)) throw new Error(`not a valid object hash: ${JSON.stringify(hash)}`);
}

export const isObjectName = (prefix: string, rest: string): boolean => HASH_RE.test(prefix + rest);

/** `<objectsDir>/<hash[0:2]>/<hash[2:]>`; manifests keep their `.dir` suffix in the name. */
export function objectPathIn(objectsDir: string, hash: string): string {
  assertHash(hash);
  return path.join(objectsDir, hash.slice(0, 2), hash.slice(2));
}

export { DIR_SUFFIX };
