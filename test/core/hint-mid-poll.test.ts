/**
 * A callback (or recheck) that arrives while the operation's status job is running its query: that
 * query may have been answered before the terminal finished, so the poll asks again at once instead of
 * at its next scheduled time (keys.askAgain, read with the poll's step). Was: the hint was dropped
 * and the outcome waited a whole poll interval (the p99 tail of bench scenario R's callback rows).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { handleCallbackHint } from '../../src/producers/callbacks.js';
import { statusJobId } from '../../src/queues/registry.js';
import { charge, startHarness, STORE_UID, type Harness } from '../support/harness.js';

const SERVICE_MS = 2_500;
const DENSE_MS = 2_000;

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    sim: { serviceMs: SERVICE_MS },
    settings: { answerTimeoutMs: 5_000, leaseMs: 10_000, poll: { denseIntervalMs: DENSE_MS, terminalWindowMs: 30_000, maxAgeMs: 60_000, reconcileStartMs: 5_000, reconcileMaxIntervalMs: 10_000 } },
  });
  h.startWorker(10);
});

afterAll(() => h.close());

it('a hint during a running poll whose answer predates the outcome: queried again at once, paid well within a poll interval', async () => {
  // The first status query is read at once but answered 2 s later: the terminal finishes meanwhile.
  h.sim.faults.add({ kind: 'latency', when: 'after', command: 'api/querydirect', count: 1, ms: 2_000 });
  const orderId = `hint-${Date.now()}`;
  const { operation } = await h.producer.enqueueCharge(charge(orderId, 100, 'A03'));
  const job = () => h.core.statusQueue.getJob(statusJobId(operation.id));
  const deadline = Date.now() + 10_000;
  while ((await (await job())?.getState()) !== 'active' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const sent = (await h.core.store.get(operation.id))!.sent!;
  // The terminal is done (service time from the POST), the held query not yet answered: the callback comes.
  await new Promise((r) => setTimeout(r, Math.max(0, sent + SERVICE_MS + 200 - Date.now())));
  expect(await (await job())?.getState()).toBe('active');
  const hintAt = Date.now();
  expect(await handleCallbackHint(h.core, { store_uid: STORE_UID, order_id: orderId }, { coalesceMs: 0 })).toBe('queried');
  await h.waitForState(operation.id, ['paid'], 10_000);
  const paidAfter = (await h.core.store.get(operation.id))!.finished! - hintAt;
  // The held query is answered ~1.5 s after the hint; without the ask-again the next poll is a dense
  // interval (2 s) after that.
  expect(paidAfter).toBeLessThan(1_500 + DENSE_MS / 2);
  expect(h.sim.engine.stats.chargePosts[orderId]).toBe(1);
}, 30_000);
