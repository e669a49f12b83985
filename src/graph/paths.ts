/** Workspace-relative POSIX path relations used to connect deps to outs. */

/** True when `a` equals `b` or lies inside it (`build/x` is under `build`). */
export function isSameOrUnder(a: string, b: string): boolean {
  if (b === '.' || b === '') return true;
  return a === b || a.startsWith(b.endsWith('/') ? b : `${b}/`);
}

/** True when one path equals the other or contains it. */
export function overlaps(a: string, b: string): boolean {
  return isSameOrUnder(a, b) || isSameOrUnder(b, a);
}
