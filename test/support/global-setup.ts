/** Fails fast, before any test file runs, when no Redis can be had at all. */
import { startTestRedis } from './redis.js';

export default async function setup(): Promise<void> {
  const redis = await startTestRedis();
  await redis.stop();
}
