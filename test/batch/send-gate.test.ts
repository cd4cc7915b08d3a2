/** The bulk send gate (BATCH_RATE_LIMIT_PER_S) against real Redis: slots 1000/rate ms apart, shared by every caller. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createBulkSendGate } from '../../src/batch/index.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

let redis: TestRedis;
let a: Redis;
let b: Redis;
beforeAll(async () => {
  redis = await startTestRedis();
  a = new Redis(redis.url);
  b = new Redis(redis.url);
});
afterAll(async () => {
  await a?.quit();
  await b?.quit();
  await redis?.stop();
});

describe('bulk send gate', () => {
  it('hands out one slot per send, 1000/rate ms apart, across connections (processes)', async () => {
    const g1 = createBulkSendGate(a, redis.prefix, 50);
    const g2 = createBulkSendGate(b, redis.prefix, 50);
    const now = Date.now();
    const waits = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? g1 : g2).wait(`op-${i}`, now)));
    expect([...waits].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i * 20));
  });

  it('asking again for the same send returns the same slot, then consumes it when due', async () => {
    const gate = createBulkSendGate(a, `${redis.prefix}x`, 10);
    const now = Date.now();
    expect(await gate.wait('first', now)).toBe(0);
    expect(await gate.wait('second', now)).toBe(100);
    expect(await gate.wait('second', now + 40)).toBe(60); // a rerun before its slot: same slot
    expect(await gate.wait('third', now + 40)).toBe(160);
    expect(await gate.wait('second', now + 100)).toBe(0); // due: send, reservation consumed
    expect(await a.exists(`{${redis.prefix}x}:batch-gate:second`)).toBe(0);
    expect(await gate.wait('second', now + 100)).toBe(200); // a later resend needs a new slot
  });

  it('rate 0 means no limit and no Redis work', async () => {
    const gate = createBulkSendGate(a, `${redis.prefix}y`, 0);
    expect(await Promise.all([gate.wait('p'), gate.wait('q')])).toEqual([0, 0]);
    expect(await a.keys(`{${redis.prefix}y}*`)).toEqual([]);
  });
});
