export * from './object-store.js';
export * from './run-cache.js';
