export * from './codec/index.js';
export * from './enums/index.js';
export * from './schemas/index.js';
export * from './prc.js';
export * from './validation.js';
