export * from './requests/index.js';
export * from './answers/index.js';
