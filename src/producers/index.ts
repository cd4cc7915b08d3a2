export * from './operations.producer.js';
export * from './errors.js';
export type { EnqueueResult, EnqueueOutcome } from './enqueue.js';
export * from './callbacks.js';
