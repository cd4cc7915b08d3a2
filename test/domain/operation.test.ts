/** Pure parts of the orchestrator: the state machine, the follow-up schedule and query interpretation. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLL_SCHEDULE, OPERATION_STATES, TRANSITIONS, assertTransition, canTransition, isFinalState,
  interpretChargeQuery, interpretRefundQuery, nextPollDelay, retryDelay, type OperationState,
} from '../../src/domain/operation/index.js';

const ORDER: Record<OperationState, number> = {
  queued: 0, sending: 1, retry_wait: 1, accepted: 2, unknown: 2, pending: 3, unresolved: 4,
  paid: 5, partially_refunded: 6, refunded: 7, cancelled: 5, needs_review: 5, declined: 5, abandoned: 5, data_error: 5, rejected: 5, failed: 5, printed: 5,
};

describe('state machine', () => {
  it('never moves backwards (except the documented resend loop unknown → retry_wait → sending)', () => {
    for (const from of OPERATION_STATES) {
      for (const to of TRANSITIONS[from]) {
        if (from === 'unknown' && to === 'retry_wait') continue;
        expect(ORDER[to], `${from} → ${to}`).toBeGreaterThanOrEqual(ORDER[from]);
      }
    }
  });

  it('final outcomes are never left, except by refunds of a paid charge and late resolution of unresolved', () => {
    for (const s of OPERATION_STATES.filter(isFinalState)) {
      const allowed = TRANSITIONS[s];
      if (s === 'paid') expect(allowed).toEqual(['partially_refunded', 'refunded']);
      else if (s === 'partially_refunded') expect(allowed).toEqual(['refunded']);
      else if (s === 'unresolved') expect(allowed.every(isFinalState)).toBe(true);
      else expect(allowed, s).toEqual([]);
    }
  });

  it('an illegal transition throws', () => {
    expect(() => assertTransition('paid', 'declined')).toThrow(/illegal operation transition paid → declined/);
    expect(() => assertTransition('queued', 'paid')).toThrow();
    expect(canTransition('pending', 'pending')).toBe(true);
    expect(canTransition('paid', 'paid')).toBe(false);
  });
});

describe('follow-up schedule', () => {
  const s = DEFAULT_POLL_SCHEDULE;
  it('is dense inside the terminal window', () => {
    expect(nextPollDelay(0)).toBe(2_000);
    expect(nextPollDelay(179_000)).toBe(1_000); // lands on the window's end
  });
  it('then reconciles with doubling intervals up to the cap', () => {
    expect(nextPollDelay(s.terminalWindowMs)).toBe(30_000);
    expect(nextPollDelay(s.terminalWindowMs + 30_000)).toBe(60_000);
    expect(nextPollDelay(s.terminalWindowMs + 90_000)).toBe(120_000);
    expect(nextPollDelay(20 * 3_600_000)).toBe(3_600_000);
  });
  it('ends exactly at the horizon, then says unresolved (null)', () => {
    expect(nextPollDelay(s.maxAgeMs - 10)).toBe(10);
    expect(nextPollDelay(s.maxAgeMs)).toBeNull();
  });
  it('property: every delay is positive and never passes the horizon; polls are finite', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: s.maxAgeMs - 1 }), (age) => {
      const d = nextPollDelay(age)!;
      return d >= 1 && age + d <= s.maxAgeMs;
    }));
    let age = 0;
    let polls = 0;
    for (let d = nextPollDelay(age); d !== null; d = nextPollDelay(age)) {
      age += d;
      polls++;
    }
    expect(polls).toBeGreaterThan(90); // 90 dense polls in the 3-minute window
    expect(polls).toBeLessThan(130);
  });
  it('retry backoff grows, is capped and keeps half of it fixed', () => {
    expect(retryDelay(1, 0)).toBe(500);
    expect(retryDelay(1, 0.999)).toBeLessThanOrEqual(1_000);
    expect(retryDelay(10, 0)).toBe(15_000);
    expect(retryDelay(10, 1)).toBe(30_000);
  });
});

describe('query interpretation (spec 附錄二 through classifyPrc)', () => {
  const row = (prc: string, extra: Record<string, unknown> = {}) => ({ uid: '9', key: 'k', prc, order_id: 'o1', cost: '10', retmsg: '', ...extra });
  it.each([
    ['250', 'final', 'paid'], ['600', 'final', 'paid'], ['300', 'final', 'declined'], ['A0002', 'final', 'abandoned'],
    ['100', 'final', 'data_error'], ['290', 'final', 'needs_review'], ['220', 'final', 'cancelled'], ['230', 'final', 'refunded'],
    ['200', 'pending', undefined], ['280', 'pending', undefined], ['A0001', 'pending', undefined], ['400', 'pending', undefined],
    ['265', 'pending', undefined], ['', 'pending', undefined],
  ])('charge prc %s → %s %s', (prc, type, state) => {
    const o = interpretChargeQuery([row(prc)], 'o1');
    expect(o.type).toBe(type);
    if (o.type === 'final') expect(o.state).toBe(state);
  });
  it('unknown codes are flagged and never success; 280 / A0001 free the terminal', () => {
    const unk = interpretChargeQuery([row('380')], 'o1');
    expect(unk).toMatchObject({ type: 'pending', unknownPrc: true, terminalFree: false });
    expect(interpretChargeQuery([row('A0001')], 'o1')).toMatchObject({ terminalFree: true, unknownPrc: false });
  });
  it('the spec 查無資料 row (no uid, no prc) is not found', () => {
    expect(interpretChargeQuery([{ uid: '', key: '', prc: '', order_id: 'o1', cost: '10', retmsg: '查無資料' }], 'o1')).toEqual({ type: 'not_found', message: '查無資料' });
  });
  it('a refund claims the first unclaimed refund_order row of its amount', () => {
    const rows = [row('250', { refund_order: [{ uid: 'r1', prc: '230', cost: '4' }, { uid: 'r2', prc: '230', cost: '4' }, { uid: 'r3', prc: '200', cost: '6' }] })];
    expect(interpretRefundQuery(rows, 'o1', 4, new Set())).toMatchObject({ type: 'final', state: 'refunded', refundUid: 'r1' });
    expect(interpretRefundQuery(rows, 'o1', 4, new Set(['r1']))).toMatchObject({ refundUid: 'r2' });
    expect(interpretRefundQuery(rows, 'o1', 4, new Set(['r1', 'r2']))).toMatchObject({ type: 'not_found' });
    expect(interpretRefundQuery(rows, 'o1', 6, new Set())).toMatchObject({ type: 'pending', prc: '200' });
  });
});
