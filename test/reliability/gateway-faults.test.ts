/**
 * Gateway faults at 10% (docs/RELIABILITY.md): one request in ten — charges, refunds and queries
 * alike — times out, gets a 5xx (before or after the gateway acted), loses its connection after
 * the gateway acted, or gets a malformed answer. A timeout is *unknown*, never *failed*: no order is
 * charged twice, no refund is paid twice, every operation converges to a final state that agrees
 * with the gateway's ledger.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { FaultRuleInput } from '../../src/simulator/index.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';
import { NEVER_FINAL, chargeAmount, suffixOf } from './support/amounts.js';
import { diagnose, doubleCharges, ledgerMismatches, settle } from './support/checks.js';
import { PROFILE } from './support/profile.js';
import { SEED, report, seededRandom } from './support/report.js';

const P = PROFILE.faults;
let h: Harness | undefined;
afterAll(async () => h?.close());

/** Five kinds sharing `total`: the first rule that fires wins, so each fires with 1-(1-total)^(1/5). */
function faultRules(total: number): FaultRuleInput[] {
  const each = 1 - Math.pow(1 - total, 1 / 5);
  return [
    { kind: 'hang', probability: each },
    { kind: 'http5xx', probability: each, when: 'before', status: 503 },
    { kind: 'http5xx', probability: each, when: 'after', status: 502 },
    { kind: 'reset', probability: each, when: 'after' },
    { kind: 'malformed', probability: each, when: 'after' },
  ];
}

describe('gateway faults', () => {
  it(`${Math.round(P.probability * 100)}% of gateway requests fail (timeouts, 5xx, resets after processing, malformed): no double charge, all converge`, async () => {
    const random = seededRandom(SEED);
    h = await startHarness({
      sim: { devices: P.terminals, serviceMs: { minMs: 20, maxMs: 150 }, followUpMs: 100, journalSize: 300_000, random: seededRandom(SEED + 1) },
      // A horizon long enough that only never-final prc codes end unresolved.
      settings: { retryDeadlineMs: 5_000, poll: { maxAgeMs: 20_000 } },
    });
    const harness = h;
    for (const rule of faultRules(P.probability)) h.sim.faults.add(rule);
    h.startWorker(50);
    const started = Date.now();
    const devices = Array.from({ length: P.terminals }, (_, i) => `A${String(i + 1).padStart(2, '0')}`);

    const chargeIds: string[] = [];
    const costs = new Map<string, number>();
    for (let i = 0; i < P.charges; i++) {
      const orderId = `fault-${SEED}-${i}`;
      const cost = chargeAmount(random);
      const { operation } = await h.producer.enqueueCharge(charge(orderId, cost, devices[i % devices.length]!));
      chargeIds.push(operation.id);
      costs.set(orderId, cost);
    }
    const charged = await settle(h.core, chargeIds, 180_000);

    // Refunds of paid charges, under the same faults.
    const paid = [...charged.ops.values()].filter((o) => o?.state === 'paid' && suffixOf(o.cost ?? 0) === 0).slice(0, P.refunds);
    const refundIds = await Promise.all(paid.map(async (c) => (await harness.producer.enqueueRefund({ store_uid: STORE_UID, order_id: c!.order_id!, refund_id: `${c!.order_id}-r`, cost: 30 })).operation.id));
    const refunded = await settle(h.core, refundIds, 180_000);
    const all = [...charged.ops.values(), ...refunded.ops.values()].filter((o) => o !== null);
    const finalCharges = (await settle(h.core, chargeIds, 1_000)).ops;

    const stats = h.sim.engine.stats;
    const dbl = doubleCharges(h.sim);
    const chargesNow = [...finalCharges.values()].filter((o) => o !== null);
    const mismatch = ledgerMismatches(h.sim, chargesNow);
    // Refunds: the gateway's ledger must hold exactly one 30 TWD refund for each charge we refunded.
    let doubleRefunds = 0;
    let refundMismatches = 0;
    for (const r of refunded.ops.values()) {
      const order = h.sim.engine.ledger.find(STORE_UID, r?.order_id ?? '');
      const n = order?.refunds.length ?? 0;
      if (n > 1) doubleRefunds++;
      if ((r?.state === 'refunded') !== (n === 1) && r?.state !== 'unresolved') refundMismatches++;
    }
    const neverFinal = chargesNow.filter((o) => NEVER_FINAL.has(suffixOf(o.cost ?? 0)));
    const unresolvedNotByDesign = all.filter((o) => o.state === 'unresolved' && !(o.kind === 'charge' && NEVER_FINAL.has(suffixOf(o.cost ?? 0))));
    const requests = Object.values(stats.requests).reduce((s, n) => s + n, 0);
    const injected = Object.values(stats.faults).reduce((s, n) => s + n, 0);

    report('gateway-faults', {
      seed: SEED,
      'charges / refunds': `${chargeIds.length} / ${refundIds.length}`,
      'gateway requests': requests,
      'faults injected': injected,
      'fault rate': Math.round((injected / Math.max(1, requests)) * 1000) / 10,
      'faults by kind': stats.faults,
      'operations lost (no record)': charged.missing.length + refunded.missing.length,
      'operations not final': charged.open.length + refunded.open.length,
      'double charges': dbl.count,
      'double refunds': doubleRefunds,
      'busy violations': stats.busyViolations,
      'charge states vs gateway ledger: mismatches': mismatch.count,
      'refund states vs gateway ledger: mismatches': refundMismatches,
      'outcome-unknown answers followed up by query': all.filter((o) => o.unknown_at !== undefined).length,
      'not_received (outcome unknown, no trace at the gateway: nothing moved, never resent)': all.filter((o) => o.state === 'not_received').length,
      'unresolved (by design: never-final prc)': neverFinal.filter((o) => o.state === 'unresolved').length,
      'unresolved (not by design)': unresolvedNotByDesign.length,
      'charge states': charged.states,
      'refund states': refunded.states,
      'converged in (s)': Math.round((Date.now() - started) / 100) / 10,
    });

    if (charged.open.length + refunded.open.length || mismatch.count || unresolvedNotByDesign.length) {
      console.log(`evidence: ${await diagnose('gateway-faults', h.core, h.sim, { devices: [...charged.open, ...refunded.open, ...unresolvedNotByDesign].map((o) => o.device).slice(0, 5), open: [...charged.open, ...refunded.open, ...unresolvedNotByDesign] })}`);
    }
    expect(injected / requests).toBeGreaterThan(P.probability * 0.7);
    expect(charged.missing.length + refunded.missing.length).toBe(0);
    expect([...charged.open, ...refunded.open].map((o) => `${o.id} ${o.state}`)).toEqual([]);
    expect(dbl).toEqual({ count: 0, orders: [] });
    expect(doubleRefunds).toBe(0);
    expect(stats.busyViolations).toBe(0);
    expect(mismatch.examples).toEqual([]);
    expect(refundMismatches).toBe(0);
    expect(unresolvedNotByDesign.map((o) => `${o.id}: ${o.msg}`)).toEqual([]);
  });
});
