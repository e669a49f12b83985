export * from './report-types.js';
export * from './parse-reports.js';
export { readFinnBuild } from './read-build.js';
export { finnMetrics, resourceBreakdown, layerTypeOf, breakdownByLayerType, LAYER_TYPES, type LayerType } from './metrics.js';
export { sortedYaml } from './sorted-yaml.js';
