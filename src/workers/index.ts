export * from './context.js';
export * from './runtime.js';
export * from './device.worker.js';
export * from './status.worker.js';
export * from './sweeper.js';
export * from './callbacks.js';
export * from './janitor.js';
