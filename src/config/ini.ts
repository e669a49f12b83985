/**
 * The INI dialect of DVC's `.dvc/config` (configobj): `[section]` or `['remote "name"']` headers,
 * `key = value` lines, `#`/`;` comment lines. Kept as lines so an edit (`remote modify`) changes only
 * the line it must and a user's comments and order survive. Pure: no I/O.
 */

export interface IniLine {
  text: string;
  /** The section this line belongs to ('' before the first header). */
  section: string;
  kind: 'header' | 'entry' | 'other';
  key?: string;
  value?: string;
}

export interface IniDocument {
  lines: IniLine[];
}

export interface IniProblem {
  line: number;
  column: number;
  message: string;
}

/** `['remote "x"']`, `[remote "x"]` and `[core]` all name a section; quotes around the whole header are configobj's. */
function headerName(inner: string): string {
  const t = inner.trim();
  const quoted = /^'(.*)'$/.exec(t) ?? /^"(.*)"$/.exec(t);
  return (quoted ? (quoted[1] as string) : t).trim().replace(/\s+/g, ' ');
}

export function parseIni(text: string): { ok: true; doc: IniDocument } | { ok: false; problem: IniProblem } {
  const lines: IniLine[] = [];
  let section = '';
  const raw = text.split(/\r?\n/);
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  for (const [i, lineText] of raw.entries()) {
    const t = lineText.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) {
      lines.push({ text: lineText, section, kind: 'other' });
      continue;
    }
    if (t.startsWith('[')) {
      if (!t.endsWith(']')) return { ok: false, problem: { line: i + 1, column: lineText.indexOf('[') + 1, message: 'a section header must end with "]"' } };
      section = headerName(t.slice(1, -1));
      if (section === '') return { ok: false, problem: { line: i + 1, column: lineText.indexOf('[') + 1, message: 'empty section name' } };
      lines.push({ text: lineText, section, kind: 'header' });
      continue;
    }
    const eq = lineText.indexOf('=');
    if (eq < 0) return { ok: false, problem: { line: i + 1, column: lineText.search(/\S/) + 1, message: 'expected "key = value", a [section] header or a # comment' } };
    const key = lineText.slice(0, eq).trim();
    if (key === '') return { ok: false, problem: { line: i + 1, column: eq + 1, message: 'missing option name before "="' } };
    if (section === '') return { ok: false, problem: { line: i + 1, column: lineText.search(/\S/) + 1, message: `option "${key}" outside any [section]` } };
    lines.push({ text: lineText, section, kind: 'entry', key, value: unquote(lineText.slice(eq + 1).trim()) });
  }
  return { ok: true, doc: { lines } };
}

const unquote = (v: string): string => (/^'.*'$/.test(v) || /^".*"$/.test(v) ? v.slice(1, -1) : v);

/** Sections in file order, each with its options (a repeated key: the last wins, as configobj). */
export function iniSections(doc: IniDocument): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const l of doc.lines) {
    if (l.kind === 'header' && !out.has(l.section)) out.set(l.section, new Map());
    if (l.kind === 'entry') (out.get(l.section) ?? out.set(l.section, new Map()).get(l.section)!).set(l.key!, l.value!);
  }
  return out;
}

/** How a section is written: DVC's own spelling, so `dvc` can read the file too. */
export function headerText(section: string): string {
  return section.includes(' ') ? `['${section}']` : `[${section}]`;
}

/** Sets `key` in `section` (replacing every earlier value), creating the section at the end if needed. */
export function setOption(doc: IniDocument, section: string, key: string, value: string): IniDocument {
  const entry: IniLine = { text: `    ${key} = ${value}`, section, kind: 'entry', key, value };
  const lines = doc.lines.filter((l) => !(l.kind === 'entry' && l.section === section && l.key === key));
  let last = -1;
  for (const [i, l] of lines.entries()) if (l.section === section && l.kind !== 'other') last = i;
  if (last < 0) return { lines: [...lines, { text: headerText(section), section, kind: 'header' }, entry] };
  return { lines: [...lines.slice(0, last + 1), entry, ...lines.slice(last + 1)] };
}

export function unsetOption(doc: IniDocument, section: string, key: string): IniDocument {
  return { lines: doc.lines.filter((l) => !(l.kind === 'entry' && l.section === section && l.key === key)) };
}

export function removeSection(doc: IniDocument, section: string): IniDocument {
  return { lines: doc.lines.filter((l) => l.section !== section) };
}

/** Renames a section in place (its header and its entries). */
export function renameSection(doc: IniDocument, from: string, to: string): IniDocument {
  return { lines: doc.lines.map((l) => (l.section !== from ? l : { ...l, section: to, ...(l.kind === 'header' ? { text: headerText(to) } : {}) })) };
}

export function serializeIni(doc: IniDocument): string {
  return doc.lines.length === 0 ? '' : `${doc.lines.map((l) => l.text).join('\n')}\n`;
}
