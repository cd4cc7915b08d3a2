/**
 * Issue #13, items 3 and 4, against real Redis and the simulator over HTTP:
 * 3. A follow-up that dies does not leave its operation pending for ever: the janitor
 *    (src/workers/janitor.ts) re-creates it, and sends to `needs_review` what cannot be followed up
 *    (a record that no longer parses, a follow-up lost too often) — and a poison record holding a
 *    terminal does not block the operations waiting behind it.
 * 4. The sweeper's "record missing" recovery: a lease held by an operation whose record is gone is
 *    handed on when it expires.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SettingsInput } from '../../src/queues/settings.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Janitor passes every 100 ms, an operation is looked at 300 ms after its expected next step. Follow-ups
 * go through status jobs (inlineWaitMs 0), so removing that job really leaves the operation alone.
 */
const JANITOR: SettingsInput = { inlineWaitMs: 0, janitorIntervalMs: 100, janitorGraceMs: 300, janitorRecheckMs: 500, poll: { maxAgeMs: 15_000 } };

/** The stored state, read raw (a poison record does not parse, so `store.get` would throw). */
async function rawStateIs(hh: Harness, opId: string, states: string[], timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await hh.core.redis.hget(hh.core.store.keys.op(opId), 'state')) ?? 'missing';
    if (states.includes(last)) return last;
    await sleep(20);
  }
  return last;
}

/** Removes an operation's status job (retrying while a worker holds it): its follow-up "dies". */
async function killFollowUp(hh: Harness, opId: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const job = await hh.core.statusQueue.getJob(`${opId}.status`);
    if (job) {
      try {
        await job.remove();
        return;
      } catch {
        // Locked by a worker running a poll right now: try again in a moment.
      }
    }
    await sleep(5);
  }
  throw new Error(`could not remove the status job of ${opId}`);
}

/** Waits until the charge is pending on A0001 and its terminal was handed on (the lease is no help any more). */
async function pendingAfterTerminal(hh: Harness, opId: string, device: string): Promise<void> {
  await expect.poll(async () => (await hh.core.store.get(opId))?.prc, { timeout: 5_000 }).toBe('A0001');
  await expect.poll(() => hh.core.store.leaseHolder(STORE_UID, device), { timeout: 5_000 }).not.toBe(opId);
}

describe('3. janitor', () => {
  it('a status follow-up removed from BullMQ while the charge is pending is re-created; the charge reaches paid', async () => {
    // 153: 200 → A0001 (terminal free) → 250 three seconds later.
    h = await startHarness({ sim: { serviceMs: 20, followUpMs: 3_000 }, settings: JANITOR });
    h.startWorker();
    const { operation } = await h.producer.enqueueCharge(charge(`jan-lost-${Date.now()}`, 153, 'A01'));
    await pendingAfterTerminal(h, operation.id, 'A01');
    await killFollowUp(h, operation.id);
    expect((await h.core.store.get(operation.id))!.state).toBe('pending');

    expect(await h.waitForState(operation.id, ['paid', 'needs_review', 'unresolved'], 10_000)).toBe('paid');
    const rec = (await h.core.store.get(operation.id))!;
    expect(rec.redrives).toBeGreaterThanOrEqual(1);
    expect((await h.core.store.auditTrail(operation.id)).map((e) => e.event)).toContain('janitor');
    expect(await h.core.redis.zscore(h.core.store.keys.open, operation.id)).toBeNull();
  });

  it('a follow-up lost more than maxRedrives times → needs_review with the reason (never pending for ever)', async () => {
    h = await startHarness({ sim: { serviceMs: 20, followUpMs: 5_000 }, settings: { ...JANITOR, maxRedrives: 1 } });
    h.startWorker();
    const { operation } = await h.producer.enqueueCharge(charge(`jan-max-${Date.now()}`, 153, 'A02'));
    await pendingAfterTerminal(h, operation.id, 'A02');
    await killFollowUp(h, operation.id);
    await expect.poll(async () => (await h!.core.store.get(operation.id))!.redrives, { timeout: 5_000 }).toBe(1);
    await killFollowUp(h, operation.id);
    expect(await h.waitForState(operation.id, ['needs_review', 'paid'], 5_000)).toBe('needs_review');
    expect((await h.core.store.get(operation.id))!.review).toMatch(/follow-up was lost or kept failing/);
  });

  it('a poison record (state "bogus") whose follow-up is gone → needs_review with the reason, out of the open index, with a TTL', async () => {
    h = await startHarness({ sim: { serviceMs: 20, followUpMs: 3_000 }, settings: JANITOR });
    h.startWorker();
    const { operation } = await h.producer.enqueueCharge(charge(`jan-poison-${Date.now()}`, 153, 'A03'));
    await pendingAfterTerminal(h, operation.id, 'A03');
    await killFollowUp(h, operation.id);
    const k = h.core.store.keys;
    await h.core.redis.hset(k.op(operation.id), 'state', 'bogus');

    expect(await rawStateIs(h, operation.id, ['needs_review', 'paid'])).toBe('needs_review');
    const rec = (await h.core.store.get(operation.id))!;
    expect(rec.review).toMatch(/record no longer parses: state/);
    expect(await h.core.redis.zscore(k.open, operation.id)).toBeNull();
    expect(await h.core.redis.pttl(k.op(operation.id))).toBeGreaterThan(0);
    expect(await h.core.redis.pttl(k.audit(operation.id))).toBeGreaterThan(0);
    expect((await h.core.store.auditTrail(operation.id)).map((e) => e.event)).toContain('review');
  });

  it.each([
    ['cost', 'abc'],
    ['state', 'bogus'],
  ])('a poison record (%s "%s") holding a terminal → needs_review, and the operation waiting behind it still runs', async (field, value) => {
    h = await startHarness({ sim: { serviceMs: 20 }, settings: JANITOR });
    const run = Date.now();
    const poison = await h.producer.enqueueCharge(charge(`jan-hold-${run}-1`, 100, 'A04'));
    const next = await h.producer.enqueueCharge(charge(`jan-hold-${run}-2`, 200, 'A04'));
    expect(await h.core.store.leaseHolder(STORE_UID, 'A04')).toBe(poison.operation.id);
    const k = h.core.store.keys;
    await h.core.redis.hset(k.op(poison.operation.id), field, value);
    h.startWorker();

    expect(await h.waitForState(next.operation.id, ['paid'], 10_000)).toBe('paid');
    expect(await rawStateIs(h, poison.operation.id, ['needs_review'])).toBe('needs_review');
    // Read raw: a record with a bad field still does not parse (its data is kept as evidence).
    const raw = await h.core.redis.hgetall(k.op(poison.operation.id));
    expect(raw.review).toMatch(new RegExp(`record no longer parses: ${field}`));
    expect(h.sim.engine.stats.chargePosts[`jan-hold-${run}-1`]).toBeUndefined();
    expect(await h.core.redis.zscore(k.open, poison.operation.id)).toBeNull();
    // Bounded like any final record: the record and its audit stream (created by the review) expire.
    expect(await h.core.redis.pttl(k.op(poison.operation.id))).toBeGreaterThan(0);
    expect(await h.core.redis.pttl(k.audit(poison.operation.id))).toBeGreaterThan(0);
    await expect.poll(() => h!.core.store.leaseHolder(STORE_UID, 'A04')).toBeNull();
  });
});

describe('4. sweeper', () => {
  it('a lease held by an operation whose record is gone is handed on when it expires; the next operation in line runs', async () => {
    h = await startHarness({ sim: { serviceMs: 20 } });
    const run = Date.now();
    const gone = await h.producer.enqueueCharge(charge(`sweep-gone-${run}-1`, 100, 'A05'));
    const next = await h.producer.enqueueCharge(charge(`sweep-gone-${run}-2`, 200, 'A05'));
    expect(await h.core.store.leaseHolder(STORE_UID, 'A05')).toBe(gone.operation.id);
    await h.core.redis.del(h.core.store.keys.op(gone.operation.id));
    h.startWorker();

    expect(await h.waitForState(next.operation.id, ['paid'], 10_000)).toBe('paid');
    expect(h.sim.engine.stats.chargePosts[`sweep-gone-${run}-1`]).toBeUndefined();
    expect(h.sim.engine.stats.busyViolations).toBe(0);
    await expect.poll(() => h!.core.store.leaseHolder(STORE_UID, 'A05')).toBeNull();
  });
});
