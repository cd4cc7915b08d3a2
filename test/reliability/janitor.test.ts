/**
 * The janitor (docs/CORE.md): something looks at every open operation whatever happens to its jobs.
 * A stream of charges whose follow-ups are sabotaged while they run — status jobs removed from
 * BullMQ, records corrupted so they no longer parse — must still end
 * every operation in a final state (or `needs_review` for the corrupted ones), none lost, none left
 * pending. On the code before the janitor, a removed or failed follow-up left its operation open
 * for ever.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isFinalState } from '../../src/domain/operation/states.js';
import { statusJobId } from '../../src/queues/registry.js';
import { charge, startHarness, type Harness } from '../support/harness.js';
import { PROFILE } from './support/profile.js';
import { SEED, report, seededRandom, sleep } from './support/report.js';

let h: Harness | undefined;
afterAll(async () => h?.close());

describe('janitor', () => {
  it('follow-ups removed and corrupted: every open operation still ends final or in review; lost 0', async () => {
    const random = seededRandom(SEED);
    const n = PROFILE.name === 'ci' ? 60 : 200;
    h = await startHarness({
      // Pending for a while (A0001 → 250 after followUpMs), so follow-ups are there to sabotage.
      sim: { devices: 20, serviceMs: { minMs: 50, maxMs: 300 }, followUpMs: 4_000 },
      settings: {
        inlineWaitMs: 0,
        janitorIntervalMs: 300, janitorGraceMs: 500, janitorRecheckMs: 1_000, maxRedrives: 5,
        poll: { denseIntervalMs: 200, terminalWindowMs: 3_000, reconcileStartMs: 300, reconcileMaxIntervalMs: 600, maxAgeMs: 30_000 },
      },
    });
    const harness = h;
    harness.startWorker(20);
    const ids: string[] = [];
    const sabotage = { removed: 0, corrupted: 0 };
    const corrupted = new Set<string>();
    let enqueued = false;
    // Sabotage runs alongside the stream: each pass looks at every open operation once.
    const saboteur = (async () => {
      const until = () => enqueued && Date.now() > stopAt;
      let stopAt = Number.POSITIVE_INFINITY;
      while (!until()) {
        if (enqueued && stopAt === Number.POSITIVE_INFINITY) stopAt = Date.now() + 4_000;
        for (const id of [...ids]) {
          const op = { id, state: (await harness.core.redis.hgetall(harness.core.store.keys.op(id))).state as Parameters<typeof isFinalState>[0] | undefined };
          if (!op.state || isFinalState(op.state) || corrupted.has(op.id)) continue;
          const job = await harness.core.statusQueue.getJob(statusJobId(op.id));
          if (!job) continue;
          const state = await job.getState();
          if (state !== 'delayed' && state !== 'waiting') continue;
          const r = random();
          if (r < 0.3) {
            await job.remove().catch(() => undefined);
            sabotage.removed++;
          } else if (r < 0.34) {
            await harness.core.redis.hset(harness.core.store.keys.op(op.id), 'cost', 'abc');
            corrupted.add(op.id);
            sabotage.corrupted++;
          }
        }
        await sleep(300);
      }
    })();
    for (let i = 0; i < n; i++) {
      // Amount suffix 53: pending (A0001) first, paid after followUpMs (docs/SIMULATOR.md).
      const cost = 100 * (1 + Math.floor(random() * 9)) + (random() < 0.7 ? 53 : 0);
      const device = `A${String(1 + (i % 20)).padStart(2, '0')}`;
      ids.push((await harness.producer.enqueueCharge(charge(`jan-${SEED}-${i}`, cost, device))).operation.id);
    }
    enqueued = true;
    await saboteur;

    // Settle: every operation final (needs_review for the records that no longer parse).
    const started = Date.now();
    let raws: Record<string, string>[] = [];
    for (;;) {
      raws = await Promise.all(ids.map((id) => harness.core.redis.hgetall(harness.core.store.keys.op(id))));
      const open = raws.filter((r) => !r.state || !isFinalState(r.state as never));
      if (open.length === 0 || Date.now() - started > 60_000) break;
      await sleep(300);
    }
    const states: Record<string, number> = {};
    for (const r of raws) states[r.state ?? 'missing'] = (states[r.state ?? 'missing'] ?? 0) + 1;
    const lost = raws.filter((r) => !r.state).length;
    const open = raws.filter((r) => r.state && !isFinalState(r.state as never));
    const redriven = raws.reduce((s, r) => s + Number(r.redrives ?? 0), 0);
    const reviewedCorrupt = [...corrupted].filter((id) => raws[ids.indexOf(id)]?.state === 'needs_review').length;
    report('janitor: sabotaged follow-ups', {
      seed: SEED,
      operations: n,
      'status jobs removed': sabotage.removed,
      'records corrupted': sabotage.corrupted,
      'follow-ups re-created by the janitor': redriven,
      'corrupted records in needs_review': `${reviewedCorrupt} of ${corrupted.size}`,
      'settled after the sabotage stopped (ms)': Date.now() - started,
      states,
      'lost (no record)': lost,
      'open (neither final nor in review)': open.length,
    });
    expect(lost).toBe(0);
    expect(open.map((r) => `${r.id} ${r.state}`)).toEqual([]);
    expect(reviewedCorrupt).toBe(corrupted.size);
    for (const [i, r] of raws.entries()) {
      if (corrupted.has(ids[i]!)) continue;
      expect(r.state, ids[i]).toBe('paid');
    }
    if (sabotage.removed > 0) expect(redriven).toBeGreaterThan(0);
  }, 180_000);
});
