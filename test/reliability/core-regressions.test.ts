/**
 * Deterministic reproductions of the core bugs the reliability scenarios found (docs/RELIABILITY.md
 * › Findings), each fixed in the core; these fail on the code before the fix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { nextPollDelay, DEFAULT_POLL_SCHEDULE } from '../../src/domain/operation/schedule.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';
import { spawnWorker, type WorkerProcess } from '../support/processes.js';
import { report, sleep } from './support/report.js';

let h: Harness | undefined;
const procs: WorkerProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill9()));
  await h?.close();
  h = undefined;
});

const figures: Record<string, string> = {};

describe('core regressions', () => {
  it('a reprint whose worker dies mid-POST ends unresolved and hands its terminal on (was: stuck in `unknown`, terminal blocked for ever)', async () => {
    h = await startHarness({ sim: { serviceMs: 10 } });
    // Worker processes only: an in-process harness worker would run BullMQ's stalled-job check with
    // its default 30 s interval, and that check's rate-limit key holds back every other worker's.
    const first = await spawnWorker({ redisUrl: h.redis.url, prefix: h.redis.prefix, gatewayUrl: h.sim.url, env: { MYPAY_ANSWER_TIMEOUT_MS: '30000' } });
    procs.push(first);
    const paid = await h.producer.enqueueCharge(charge('rg-reprint-base', 100, 'A01'));
    await h.waitForState(paid.operation.id, ['paid']);
    // The reprint's answer is held back; its worker process is killed while it waits.
    h.sim.faults.add({ kind: 'hang', command: 'api/posreprintsignature', count: 1 });
    const reprint = await h.producer.enqueueSignatureReprint({ store_uid: STORE_UID, order_id: 'rg-reprint-base', reprint_id: 'rg-p1' });
    const next = await h.producer.enqueueCharge(charge('rg-reprint-next', 200, 'A01'));
    await h.waitForState(reprint.operation.id, ['sending']);
    await sleep(200);
    await first.kill9();
    procs.push(await spawnWorker({ redisUrl: h.redis.url, prefix: h.redis.prefix, gatewayUrl: h.sim.url }));
    const state = await h.waitForState(reprint.operation.id, ['unresolved', 'printed'], 20_000).catch(async (err: Error) => {
      const job = await h!.core.deviceQueue.getJob(reprint.operation.id);
      throw new Error(`${err.message}; device job ${await job?.getState()} attempts ${job?.attemptsMade} ${job?.failedReason ?? ''}\n${procs.map((p) => p.output()).join('\n---\n').slice(-3000)}`);
    });
    const after = await h.waitForState(next.operation.id, ['paid'], 20_000);
    const msg = (await h.core.store.get(reprint.operation.id))?.msg ?? '';
    figures['reprint cut off mid-POST'] = `${state} (${msg}); next charge on the terminal ${after}`;
    expect(state).toBe('unresolved');
    expect(after).toBe('paid');
    expect(h.sim.engine.stats.busyViolations).toBe(0);
  });

  it('a charge whose worker dies during the in-job follow-up, after its terminal was handed on, is still followed up to its outcome (was: parked for an hour, pending for ever)', async () => {
    // 200 → A0001 (the terminal is free at once) → 250 two seconds later.
    h = await startHarness({ sim: { serviceMs: 10, followUpMs: 2_000 } });
    const first = await spawnWorker({ redisUrl: h.redis.url, prefix: h.redis.prefix, gatewayUrl: h.sim.url });
    procs.push(first);
    const { operation } = await h.producer.enqueueCharge(charge('rg-inline-1', 153, 'A04'));
    await h.waitForState(operation.id, ['pending']);
    const deadline = Date.now() + 5_000;
    while ((await h.core.store.leaseHolder(STORE_UID, 'A04')) === operation.id && Date.now() < deadline) await sleep(20);
    await first.kill9();
    procs.push(await spawnWorker({ redisUrl: h.redis.url, prefix: h.redis.prefix, gatewayUrl: h.sim.url }));
    const state = await h.waitForState(operation.id, ['paid'], 20_000).catch(async (err: Error) => `${err.message}`);
    figures['charge pending when its worker died, terminal already handed on'] = state;
    expect(state).toBe('paid');
  });

  it('an unknown outcome whose queries fail until just before the horizon ends not_received, never resent, and the terminal waits for it (was: resent at the horizon)', async () => {
    // Terminal window 1 s (longer than the terminal's 400 ms per charge), horizon 4 s from the
    // unknown outcome: the verdict needs a query a whole window after it, which comes at ~3.75 s.
    h = await startHarness({
      sim: { serviceMs: 400 },
      settings: { poll: { denseIntervalMs: 50, terminalWindowMs: 1_000, reconcileStartMs: 50, reconcileMaxIntervalMs: 1_000, maxAgeMs: 4_000 } },
    });
    // The first POST never reaches the gateway; every query fails until just before the horizon.
    h.sim.faults.add({ kind: 'http5xx', command: 'api/postransaction', count: 1, when: 'before' });
    const queriesDown = h.sim.faults.add({ kind: 'http5xx', command: 'api/querydirect', when: 'before' });
    h.startWorker();
    const first = await h.producer.enqueueCharge(charge('rg-horizon-1', 100, 'A02'));
    const second = await h.producer.enqueueCharge(charge('rg-horizon-2', 200, 'A02'));
    const deadline = Date.now() + 10_000;
    let firstSent: number | undefined;
    while (!(firstSent = (await h.core.store.get(first.operation.id))?.first_sent) && Date.now() < deadline) await sleep(10);
    await sleep(Math.max(0, firstSent! + 3_750 - Date.now()));
    h.sim.faults.remove(queriesDown.id);
    const s1 = await h.waitForState(first.operation.id, ['paid', 'not_received', 'unresolved'], 15_000);
    const s2 = await h.waitForState(second.operation.id, ['paid', 'unresolved'], 15_000);
    const op = await h.core.store.get(first.operation.id);
    figures['unknown outcome near the horizon'] = `first charge ${s1} after ${op?.sends} POST(s); second charge ${s2}; busy violations ${h.sim.engine.stats.busyViolations}`;
    expect(op?.sends).toBe(1);
    expect(s1).toBe('not_received');
    expect(s2).toBe('paid');
    expect(h.sim.engine.stats.busyViolations).toBe(0);
    expect(h.sim.engine.stats.chargePosts['rg-horizon-1']).toBeUndefined();
  });

  it('the final audit entry masks the charge key (was: the key in clear in the audit stream)', async () => {
    h = await startHarness();
    h.startWorker();
    const { operation } = await h.producer.enqueueCharge(charge('rg-audit', 100, 'A03'));
    await h.waitForState(operation.id, ['paid']);
    const key = (await h.core.store.get(operation.id))!.key!;
    const stream = JSON.stringify(await h.core.redis.xrange(h.core.store.keys.audit(operation.id), '-', '+'));
    figures['charge key in the audit stream'] = stream.includes(key) ? 'yes' : 'no';
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(stream).not.toContain(key);
  });

  it('the reconciliation max interval caps the first interval too (was: 30 s whatever the max)', () => {
    const opts = { ...DEFAULT_POLL_SCHEDULE, terminalWindowMs: 300, reconcileMaxIntervalMs: 200, maxAgeMs: 30_000 };
    const d = nextPollDelay(300, opts);
    figures['first reconciliation interval with max 200 ms'] = `${d} ms`;
    expect(d).toBe(200);
    expect(nextPollDelay(DEFAULT_POLL_SCHEDULE.terminalWindowMs)).toBe(30_000);
    report('core-regressions', figures);
  });
});
