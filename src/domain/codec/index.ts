export * from './codec.js';
export * from './envelope.js';
