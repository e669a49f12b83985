export * from './types.js';
export * from './hash-file.js';
export * from './manifest.js';
export * from './stat-cache.js';
export * from './hasher.js';
