/**
 * Quotes one word for POSIX sh: plain words stay readable, anything else goes in single quotes (with
 * `'\''` for an embedded quote), so every byte, newlines included, reaches the command literally.
 * The one implementation: templated `cmd` arguments, Slurm job scripts and local stage scripts.
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
