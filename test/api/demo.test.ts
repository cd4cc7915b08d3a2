/**
 * The demo traffic generator against the real API, workers and simulator: it sends charges, refunds,
 * reprints, replays, bad requests and injected failures — and the orchestrator's properties hold
 * under it (no terminal ever double-booked, no charge POSTed twice, every operation accounted for).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTraffic } from '../../src/demo/traffic.js';
import { pino } from 'pino';
import { startApi, API_KEY, STORE_UID, type ApiHarness } from './support.js';

/** mulberry32: a seeded random source, so the mix of actions is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ sim: { devices: 6 } });
});
afterAll(async () => {
  await api?.close();
});

describe('demo traffic', () => {
  it('fills the queues with every kind of operation and failure while the invariants hold', async () => {
    const traffic = startTraffic({
      apiUrl: api.url, apiKey: API_KEY, storeUid: STORE_UID, devices: ['A01', 'A02', 'A03', 'A04', 'A05', 'A06'],
      ratePerSecond: 40, simOrigin: api.h.sim.origin, logger: pino({ level: 'silent' }), random: seeded(7),
    });
    const wanted = ['charge 202', 'refund 202', 'reprint 202', 'replay 202', 'bad_request 400', 'terminal_offline 200', 'gateway_fault 200'];
    try {
      await expect.poll(() => wanted.filter((k) => !traffic.stats()[k]), { timeout: 20_000, interval: 100 }).toEqual([]);
      await expect.poll(() => traffic.stats()['charge 202'] ?? 0, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(25);
    } finally {
      await traffic.stop();
    }
    expect(traffic.stats().error ?? 0).toBe(0);

    // Let everything in flight settle, then look at what the simulator saw.
    await expect.poll(async () => (await api.h.core.deviceQueue.getJobCounts('active', 'waiting')).active, { timeout: 20_000 }).toBe(0);
    const stats = api.h.sim.engine.stats;
    expect(stats.busyViolations).toBe(0);
    expect(Object.entries(stats.chargePosts).filter(([, n]) => n > 1)).toEqual([]);
    expect(Object.keys(stats.duplicateChargePosts)).toEqual([]);
    expect(Object.keys(stats.chargePosts).length).toBeGreaterThanOrEqual(15);
    const completed = await api.h.core.deviceQueue.getJobCounts('completed');
    expect(completed.completed).toBeGreaterThanOrEqual(15);
  });
});
