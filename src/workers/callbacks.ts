/**
 * Moved to src/producers/callbacks.ts (callback hints, recheck and retry requests are made by callers
 * and carried out by the status worker); re-exported here for existing imports.
 */
export * from '../producers/callbacks.js';
