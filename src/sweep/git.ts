import { loadExeca } from '../util/execa-module.js';

/** Runs git in `cwd` and resolves its stdout as is; rejects when git is missing or exits non-zero. */
export async function git(cwd: string, args: readonly string[]): Promise<string> {
  const { execa } = await loadExeca();
  const r = await execa('git', args, { cwd, stdin: 'ignore', maxBuffer: 256 * 2 ** 20, stripFinalNewline: false });
  return r.stdout;
}
