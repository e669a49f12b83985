/**
 * Why the store refused to hand out an object. The engine recognises these by `code`
 * (`isCacheObjectProblem`): repro then runs the stage instead, checkout reports a failed item.
 */

/** The object's bytes are not the bytes its name promises; it has been moved to quarantine. */
export class CorruptObjectError extends Error {
  readonly code = 'ECORRUPTOBJECT';
  constructor(
    readonly hash: string,
    /** The output (or file inside it) the object was meant for; undefined outside a restore. */
    readonly dest: string | undefined,
    /** What was wrong: "has sha256 …", "is a directory", … */
    readonly problem: string,
    /** Where the bad object now is; undefined if it vanished before it could be moved. */
    readonly quarantinedAt: string | undefined,
  ) {
    super(
      `cache object ${hash} is corrupt (${problem})${dest ? `; not restored to ${dest}` : ''}` +
        (quarantinedAt ? `; moved to ${quarantinedAt}` : ''),
    );
  }
}

/** The object is not in the cache (never stored, removed by gc, or quarantined earlier). */
export class MissingObjectError extends Error {
  readonly code = 'EMISSINGOBJECT';
  constructor(
    readonly hash: string,
    readonly dest: string | undefined,
  ) {
    super(`cache object ${hash} is missing${dest ? `; cannot restore ${dest}` : ''}`);
  }
}
