/** Every scripted outcome (by amount suffix, by name, by explicit steps) appears in querydirect as documented. */
import { describe, expect, it, vi } from 'vitest';
import { queryAnswerSchema } from '../../src/domain/schemas/answers/index.js';
import { AMOUNT_SUFFIX_OUTCOMES, NAMED_OUTCOMES, OUTCOME_NAMES, type OutcomeName } from '../../src/simulator/index.js';
import { STORE, charge, control, queryRow, send, startSim } from './helpers.js';

const SERVICE_MS = 250;
const FOLLOW_UP_MS = 100;

/** The documented table (docs/SIMULATOR.md): amount suffix → prc as seen by querydirect over time. */
const TABLE: Record<OutcomeName, { first: string; then?: string }> = {
  paid: { first: '250' },
  settled: { first: '250', then: '600' },
  declined: { first: '300' },
  abandoned: { first: 'A0002' },
  pending_then_paid: { first: 'A0001', then: '250' },
  pending_then_declined: { first: 'A0001', then: '300' },
  mismatch: { first: '290' },
  stays_pending: { first: '200' },
  data_error: { first: '100' },
  system_error_then_paid: { first: '400', then: '250' },
  online_then_paid: { first: '280', then: '250' },
  unknown_code: { first: '265' },
};

const suffixFor = (name: OutcomeName): number =>
  Number(Object.entries(AMOUNT_SUFFIX_OUTCOMES).find(([, n]) => n === name)?.[0] ?? 0);

describe('scripted outcomes', () => {
  it('the documented table covers every named outcome and every suffix', () => {
    expect(Object.keys(TABLE).sort()).toEqual([...OUTCOME_NAMES].sort());
    for (const name of OUTCOME_NAMES) {
      const steps = NAMED_OUTCOMES[name];
      expect(steps[0]?.prc ?? '200').toBe(TABLE[name].first);
      expect(steps[1]?.prc).toBe(TABLE[name].then);
    }
    expect(new Set(Object.values(AMOUNT_SUFFIX_OUTCOMES)).size).toBe(Object.keys(AMOUNT_SUFFIX_OUTCOMES).length);
  });

  it.each(OUTCOME_NAMES)('amount suffix for %s: prc 200 while the terminal works, then the documented sequence', async (name) => {
    const sim = await startSim({ serviceMs: SERVICE_MS, followUpMs: FOLLOW_UP_MS });
    const cost = name === 'paid' ? 1_200 : 1_000 + suffixFor(name);
    const orderId = `SUFFIX-${name}`;
    expect(await send(sim, 'api/postransaction', charge(orderId, cost))).toEqual({ code: 'B200', msg: '執行成功。' });
    const pending = await queryRow(sim, orderId, cost);
    expect(pending).toMatchObject({ prc: '200', retmsg: '資料正確', finishtime: '' });
    expect(pending.uid).not.toBe('');

    const { first, then } = TABLE[name];
    await vi.waitFor(async () => expect((await queryRow(sim, orderId, cost)).prc).toBe(first), { timeout: 2_000, interval: 10 });
    if (then) await vi.waitFor(async () => expect((await queryRow(sim, orderId, cost)).prc).toBe(then), { timeout: 2_000, interval: 10 });
    else {
      await new Promise((r) => setTimeout(r, FOLLOW_UP_MS * 2));
      expect((await queryRow(sim, orderId, cost)).prc).toBe(first);
    }
    // Rows always satisfy the domain's answer schema.
    const answer = await send(sim, 'api/querydirect', { store_uid: STORE.store_uid, order_id: orderId, cost });
    expect(queryAnswerSchema.safeParse(answer).success).toBe(true);
    const history = sim.engine.ledger.find(STORE.store_uid, orderId)?.history.map((h) => h.prc);
    expect(history).toEqual(['200', first, ...(then ? [then] : [])].filter((p, i) => i === 0 || p !== '200'));
  });

  it('per-order scripts through POST /_sim/orders override the amount table, once', async () => {
    const sim = await startSim({ followUpMs: 20 });
    await control(sim, 'POST', '/_sim/orders', { order_id: 'SCRIPT-1', outcome: 'declined' });
    await control(sim, 'POST', '/_sim/orders', { order_id: 'SCRIPT-2', outcome: [{ prc: 'A0001' }, { prc: '600', afterMs: 30 }] });
    await send(sim, 'api/postransaction', charge('SCRIPT-1', 100));
    await send(sim, 'api/postransaction', charge('SCRIPT-2', 100, { device_name: 'A02' }));
    await send(sim, 'api/postransaction', charge('SCRIPT-3', 151, { device_name: 'A03' }));
    expect((await queryRow(sim, 'SCRIPT-1', 100)).prc).toBe('300');
    expect((await queryRow(sim, 'SCRIPT-2', 100)).prc).toBe('A0001');
    expect((await queryRow(sim, 'SCRIPT-3', 151)).prc).toBe('300');
    await vi.waitFor(async () => expect((await queryRow(sim, 'SCRIPT-2', 100)).prc).toBe('600'), { timeout: 2_000, interval: 10 });
  });

  it('amountOutcomes: false makes every amount paid', async () => {
    const sim = await startSim({ amountOutcomes: false });
    await send(sim, 'api/postransaction', charge('NO-TABLE', 151));
    expect((await queryRow(sim, 'NO-TABLE', 151)).prc).toBe('250');
  });

  it('a bad script is refused with 400 and the reason', async () => {
    const sim = await startSim();
    await expect(control(sim, 'POST', '/_sim/orders', { order_id: 'X', outcome: 'teleported' })).rejects.toThrow(/HTTP 400/);
  });

  it('querydirect with a different cost does not find the order', async () => {
    const sim = await startSim();
    await send(sim, 'api/postransaction', charge('COST-1', 100));
    expect(await queryRow(sim, 'COST-1', 101)).toMatchObject({ retmsg: '查無資料', uid: '', prc: '', cost: '101' });
  });

  it('echo_0..echo_4 and user_id come back in the row', async () => {
    const sim = await startSim();
    await send(sim, 'api/postransaction', charge('ECHO-1', 100, { echo_0: 'a', echo_4: '五', user_id: 'u1' }));
    expect(await queryRow(sim, 'ECHO-1', 100)).toMatchObject({ echo_0: 'a', echo_1: '', echo_4: '五', user_id: 'u1' });
  });
});
