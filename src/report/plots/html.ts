import { esc } from '../html.js';
import type { LoadedPlot, LoadedPlots } from './load.js';
import { renderSvg } from './render.js';

/** The plots as HTML: each Vega-Lite plot rendered to inline SVG, each image inlined as a data URI. */
export async function plotsSection(loaded: LoadedPlots): Promise<string> {
  const parts: string[] = [];
  for (const p of loaded.plots) parts.push(await plotHtml(p));
  const errors =
    loaded.errors.length === 0
      ? ''
      : `<details class="errors"><summary>${loaded.errors.length} file(s) could not be read</summary><ul>${loaded.errors.map((e) => `<li>${esc(e.rev)}: ${esc(e.file)}: ${esc(e.message)}</li>`).join('')}</ul></details>`;
  return `<div class="plots">${parts.join('\n')}</div>${errors}`;
}

async function plotHtml(p: LoadedPlot): Promise<string> {
  if (p.kind === 'image') {
    return `<div class="plot" data-plot="${esc(p.id)}"><h3>${esc(p.id)}</h3>${p.images.map((i) => `<figure><img alt="${esc(i.file)}" src="${i.dataUri}"><figcaption>${esc(i.rev)}: ${esc(i.file)}</figcaption></figure>`).join('')}</div>`;
  }
  const svg = p.points === 0 ? '<p>no data</p>' : await renderSvg(p.spec);
  return `<div class="plot" data-plot="${esc(p.id)}" data-template="${esc(p.template)}" data-points="${p.points}" data-series="${p.series.length}">${svg}</div>`;
}
