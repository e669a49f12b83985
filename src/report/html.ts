/** Escapes text for HTML element content and attribute values. */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c8cdd8}
main{padding:16px 24px;max-width:1400px}section{background:#fff;border:1px solid #e1e4ea;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 8px}h3{font-size:14px;margin:12px 0 6px}
.plots{display:flex;flex-wrap:wrap;gap:16px}.plot{border:1px solid #eef0f3;border-radius:4px;padding:8px;overflow:auto;max-width:100%}
.plot h3{margin:0 0 4px}.plot img{max-width:480px}
table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #eef0f3;padding:3px 8px;text-align:left;white-space:nowrap}
th{background:#f0f2f5;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}
table.sortable th{cursor:pointer;user-select:none}table.sortable th[aria-sort=ascending]::after{content:" \\25B2"}table.sortable th[aria-sort=descending]::after{content:" \\25BC"}
.scroll{max-height:520px;overflow:auto}.errors{color:#a4262c}pre{background:#1d2330;color:#e6e9ef;padding:8px;border-radius:4px;overflow:auto;font-size:12px;max-height:320px}
.run{color:#1f6feb}.restore{color:#8250df}.skip{color:#57606a}.failed{color:#cf222e}.ok{color:#1a7f37}
details>summary{cursor:pointer}
`;

/**
 * Sorts a table.sortable by the clicked column: numbers numerically, text by locale; a second
 * click reverses. Inline so the page needs nothing from the network.
 */
const SORT_SCRIPT = `
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('th').forEach(function(th, col){
    th.addEventListener('click', function(){
      var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
      table.querySelectorAll('th').forEach(function(o){ o.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir);
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var key = function(r){ var c = r.cells[col]; var t = c ? (c.getAttribute('data-v') || c.textContent) : ''; var n = Number(t); return t !== '' && !isNaN(n) ? n : t; };
      rows.sort(function(a, b){
        var x = key(a), y = key(b), r;
        if (typeof x === 'number' && typeof y === 'number') r = x - y;
        else if (typeof x === 'number') r = -1; else if (typeof y === 'number') r = 1;
        else r = String(x).localeCompare(String(y));
        return dir === 'ascending' ? r : -r;
      });
      rows.forEach(function(r){ body.appendChild(r); });
    });
  });
});
`;

/** One self-contained page: inline style and script, no external resource of any kind. */
export function htmlPage(title: string, subtitle: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><header><h1>${esc(title)}</h1><p>${esc(subtitle)}</p></header><main>
${body}
</main><script>${SORT_SCRIPT}</script></body></html>
`;
}

/** A table; `sortable` adds click-to-sort headers. Numeric cells are right-aligned. */
export function htmlTable(columns: readonly string[], rows: readonly (readonly unknown[])[], opts: { sortable?: boolean; id?: string } = {}): string {
  const cell = (v: unknown) => (typeof v === 'number' ? `<td class="num">${esc(v)}</td>` : `<td>${v === null || v === undefined ? '' : esc(v)}</td>`);
  return `<div class="scroll"><table${opts.id ? ` id="${esc(opts.id)}"` : ''}${opts.sortable ? ' class="sortable"' : ''}><thead><tr>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map(cell).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}
