import type { Diagnostic, SourceSpan } from '../model/diagnostic.js';
import type { ProjectFiles } from '../config/project-files.js';

/**
 * Renders a diagnostic as plain text (no colors):
 *
 *   pipeline.yaml:12:5: error: message
 *      12 |     dpes: [a]
 *         |     ~~~~
 *
 * The gutter is three spaces, the line number, then ` | `. Related notes and a hint follow.
 */
export function renderDiagnostic(d: Diagnostic, files: ProjectFiles): string {
  const lines = [d.span ? `${location(d.span)}: error: ${d.message}` : `error: ${d.message}`];
  lines.push(...snippet(d.span, files));
  for (const note of d.related ?? []) {
    lines.push(note.span ? `  ${location(note.span)}: note: ${note.message}` : `  note: ${note.message}`);
    lines.push(...snippet(note.span, files));
  }
  if (d.hint) lines.push(`  hint: ${d.hint}`);
  return lines.join('\n');
}

function location(span: SourceSpan): string {
  return `${span.file}:${span.line}:${span.col}`;
}

function snippet(span: SourceSpan | undefined, files: ProjectFiles): string[] {
  if (!span) return [];
  const source = files.readText(span.file)?.split(/\r?\n/)[span.line - 1];
  if (source === undefined) return [];
  const number = String(span.line);
  const gutter = ' '.repeat(3 + number.length);
  // A span running past its first line is underlined to the end of that line.
  const end = span.endLine === span.line ? span.endCol : source.length + 1;
  const width = Math.max(1, end - span.col);
  return [`   ${number} | ${source}`, `${gutter} | ${' '.repeat(Math.max(0, span.col - 1))}${'~'.repeat(width)}`];
}
