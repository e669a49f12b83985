import type { VegaLiteSpec } from './templates.js';

type Libraries = { vega: typeof import('vega'); vl: typeof import('vega-lite') };
let libraries: Promise<Libraries> | undefined;

/** vega and vega-lite (about 1.5 MB of JavaScript) are loaded on first use, never at start-up. */
function load(): Promise<Libraries> {
  libraries ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({ vega, vl }));
  return libraries;
}

/**
 * Renders a Vega-Lite spec to an SVG document in Node, without a browser or canvas: text widths
 * are estimated, which is why the SVG is self-contained and opens offline.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const { vega, vl } = await load();
  const compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
