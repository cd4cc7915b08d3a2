/**
 * The "terminal stuck busy" runbook of docs/OPERATIONS.md §9.2, run as written against a real Redis
 * and the simulator: its commands unstick a terminal and the line then moves in order, with no busy
 * violation.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { terminalMember } from '../../src/store/keys.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';

const doc = readFileSync('docs/OPERATIONS.md', 'utf8');
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Enqueues three charges on one terminal with no worker running: the first holds the lease, two wait. */
async function threeInLine(device: string) {
  h = await startHarness({ sim: { serviceMs: 10 } });
  const run = Date.now().toString(36);
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await h.producer.enqueueCharge(charge(`${run}-${device}-${i}`, 100, device))).operation.id);
  const member = terminalMember(STORE_UID, device);
  expect(await h.core.store.leaseHolder(STORE_UID, device)).toBe(ids[0]);
  return { ids, member, k: h.core.store.keys };
}

/** The first operation "finished" but its hand-off was cut off (final state, lease still held, no job left). */
async function interruptedHandOff(ids: string[], member: string, leaseUntil: number) {
  const { core } = h!;
  await core.redis.hset(core.store.keys.op(ids[0]!), 'state', 'paid');
  await core.deviceQueue.remove(ids[0]!);
  await core.redis.zadd(core.store.keys.leases, leaseUntil, member);
}

describe('runbook §9.2: a terminal stuck busy', () => {
  it('`zadd {prefix}:leases 0 <terminal>` makes the sweeper look now: the final holder hands on, the line moves', async () => {
    expect(doc).toContain(`redis-cli zadd '{mypay}:leases' 0 "$M"`);
    const { ids, member, k } = await threeInLine('A05');
    await interruptedHandOff(ids, member, Date.now() + 3_600_000); // its lease would expire only in an hour
    h!.startWorker();
    await sleep(1_000);
    expect((await h!.core.store.getMany(ids.slice(1))).map((o) => o!.state)).toEqual(['queued', 'queued']);

    await h!.core.redis.zadd(k.leases, 0, member);
    for (const id of ids.slice(1)) await h!.waitForState(id, ['paid'], 10_000);
    const ops = await h!.core.store.getMany(ids.slice(1));
    expect(ops[0]!.first_sent!).toBeLessThan(ops[1]!.first_sent!);
    expect(h!.sim.engine.stats.busyViolations).toBe(0);
  });

  it('after a lease was deleted by hand, the documented EVAL gives the terminal to the head of its line', async () => {
    const m = /redis-cli eval "([\s\S]*?)" \\\n\s*4 "\{mypay\}:mb:\$M:live" "\{mypay\}:mb:\$M:bulk" "\{mypay\}:lease:\$M" '\{mypay\}:leases' "\$M"/.exec(doc);
    expect(m, 'the EVAL of §9.2 step 4').not.toBeNull();
    const script = m![1]!;
    const { ids, member, k } = await threeInLine('A06');
    await interruptedHandOff(ids, member, Date.now() + 3_600_000);
    // The mistake the runbook repairs: the lease deleted while operations wait.
    await h!.core.redis.del(k.lease(member));
    await h!.core.redis.zrem(k.leases, member);
    h!.startWorker();
    await sleep(1_000);
    expect((await h!.core.store.getMany(ids.slice(1))).map((o) => o!.state)).toEqual(['queued', 'queued']);

    expect(await h!.core.redis.eval(script, 4, k.mailboxLive(member), k.mailboxBulk(member), k.lease(member), k.leases, member)).toBe(ids[1]);
    for (const id of ids.slice(1)) await h!.waitForState(id, ['paid'], 10_000);
    const ops = await h!.core.store.getMany(ids.slice(1));
    expect(ops[0]!.first_sent!).toBeLessThan(ops[1]!.first_sent!);
    expect(h!.sim.engine.stats.busyViolations).toBe(0);
    // Nothing waits any more: running it again changes nothing.
    const again = await h!.core.redis.eval(script, 4, k.mailboxLive(member), k.mailboxBulk(member), k.lease(member), k.leases, member);
    expect(again).toBeNull();
  });
});
