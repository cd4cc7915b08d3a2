export * from './states.js';
export * from './schedule.js';
export * from './outcome.js';
export * from './policy.js';
export * from './follow-up.js';
