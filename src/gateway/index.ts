export * from './errors.js';
export * from './answer.js';
export * from './client.js';
export * from './classify-rejection.js';
export * from './url-policy.js';
export * from './from-env.js';
export * from './query-cap.js';
