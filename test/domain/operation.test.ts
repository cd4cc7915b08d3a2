/** Pure parts of the orchestrator: the state machine, the follow-up schedule and query interpretation. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLL_SCHEDULE, OPERATION_STATES, TRANSITIONS, assertTransition, canTransition, isFinalState,
  interpretChargeQuery, interpretRefundQuery, nextPollDelay, retryDelay, type OperationState,
} from '../../src/domain/operation/index.js';
import { chargeSnapshot, parseGatewayTime } from '../../src/domain/operation/outcome.js';

const ORDER: Record<OperationState, number> = {
  queued: 0, sending: 1, retry_wait: 1, accepted: 2, unknown: 2, pending: 3, unresolved: 4,
  paid: 5, partially_refunded: 6, refunded: 7, cancelled: 5, needs_review: 5, declined: 5, abandoned: 5, data_error: 5, rejected: 5, failed: 5, printed: 5,
  not_received: 2, withdrawn: 5,
};

describe('state machine', () => {
  it('never moves backwards (except the explicit retry not_received → queued)', () => {
    // not_received ranks with unknown: a late row moves it on to its real outcome (pending or final).
    for (const from of OPERATION_STATES) {
      for (const to of TRANSITIONS[from]) {
        if (from === 'not_received' && to === 'queued') continue;
        expect(ORDER[to], `${from} → ${to}`).toBeGreaterThanOrEqual(ORDER[from]);
      }
    }
  });

  it('final outcomes are never left, except by refunds of a paid charge, late resolution of unresolved, and a late row or an explicit retry of not_received', () => {
    for (const s of OPERATION_STATES.filter(isFinalState)) {
      const allowed = TRANSITIONS[s];
      if (s === 'paid') expect(allowed).toEqual(['partially_refunded', 'refunded']);
      else if (s === 'partially_refunded') expect(allowed).toEqual(['refunded']);
      else if (s === 'unresolved') expect(allowed.every(isFinalState)).toBe(true);
      else if (s === 'not_received') expect(allowed.filter((t) => !isFinalState(t))).toEqual(['queued', 'pending']);
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

const PROOF = { cost: 10, notBefore: undefined };

describe('query interpretation (spec 附錄二 through classifyPrc)', () => {
  const row = (prc: string, extra: Record<string, unknown> = {}) => ({ uid: '9', key: 'k', prc, order_id: 'o1', cost: '10', retmsg: '', ...extra });
  it.each([
    ['250', 'final', 'paid'], ['600', 'final', 'paid'], ['300', 'final', 'declined'], ['A0002', 'final', 'abandoned'],
    ['100', 'final', 'data_error'], ['290', 'final', 'needs_review'], ['220', 'final', 'cancelled'], ['230', 'final', 'refunded'],
    ['200', 'pending', undefined], ['280', 'pending', undefined], ['A0001', 'pending', undefined], ['400', 'pending', undefined],
    ['265', 'pending', undefined], ['', 'pending', undefined],
  ])('charge prc %s → %s %s', (prc, type, state) => {
    const o = interpretChargeQuery([row(prc)], 'o1', PROOF);
    expect(o.type).toBe(type);
    if (o.type === 'final') expect(o.state).toBe(state);
  });
  it('unknown codes are flagged and never success; 280 / A0001 free the terminal', () => {
    const unk = interpretChargeQuery([row('380')], 'o1', PROOF);
    expect(unk).toMatchObject({ type: 'pending', unknownPrc: true, terminalFree: false });
    expect(interpretChargeQuery([row('A0001')], 'o1', PROOF)).toMatchObject({ terminalFree: true, unknownPrc: false });
  });
  it('the spec 查無資料 row (no uid, no prc) is not found', () => {
    expect(interpretChargeQuery([{ uid: '', key: '', prc: '', order_id: 'o1', cost: '10', retmsg: '查無資料' }], 'o1', PROOF)).toEqual({ type: 'not_found', message: '查無資料' });
  });
  it('a refund claims only a new row of its amount; two candidates are ambiguous, never guessed', () => {
    const rows = [row('250', { refund_order: [{ uid: 'r1', prc: '230', cost: '4' }, { uid: 'r2', prc: '230', cost: '4' }, { uid: 'r3', prc: '200', cost: '6' }] })];
    const refund = (cost: number, seen: string[] | undefined, claimed: string[] = []) =>
      interpretRefundQuery(rows, 'o1', { cost, notBefore: undefined, seen: seen && new Set(seen), claimed: new Set(claimed) });
    expect(refund(4, ['r1'])).toMatchObject({ type: 'final', state: 'refunded', refundUid: 'r2' });
    expect(refund(4, [], ['r1'])).toMatchObject({ refundUid: 'r2' });
    expect(refund(4, ['r1', 'r2'])).toMatchObject({ type: 'not_found' });
    expect(refund(4, [])).toMatchObject({ type: 'ambiguous', candidates: ['r1', 'r2'] });
    expect(refund(6, ['r1', 'r2'])).toMatchObject({ type: 'pending', prc: '200', refundUid: 'r3' });
  });
  it('a portal refund that existed before our POST is never ours (was: claimed as ours, item 2)', () => {
    const rows = [row('250', { refund_order: [{ uid: 'portal', prc: '230', cost: '4' }] })];
    expect(interpretRefundQuery(rows, 'o1', { cost: 4, notBefore: undefined, seen: new Set(['portal']), claimed: new Set() })).toMatchObject({ type: 'not_found' });
    // Without a snapshot, a row finished before our POST is not ours either.
    const old = [row('250', { refund_order: [{ uid: 'portal', prc: '230', cost: '4', finishtime: '20261128090000' }] })];
    const afterIt = Date.UTC(2026, 10, 28, 2, 0, 0); // 10:00 in Taiwan
    expect(interpretRefundQuery(old, 'o1', { cost: 4, notBefore: afterIt, seen: undefined, claimed: new Set() })).toMatchObject({ type: 'not_found' });
  });
  it('a row of our order id that finished before our first POST is foreign, never our outcome (reused order id, item 1)', () => {
    const first = Date.UTC(2026, 10, 28, 2, 0, 0); // 2026-11-28 10:00 Taiwan time
    const old = row('250', { finishtime: '20260801120000' });
    expect(interpretChargeQuery([old], 'o1', { cost: 10, notBefore: first })).toMatchObject({ type: 'foreign' });
    // Another amount is not ours either.
    expect(interpretChargeQuery([row('250', { cost: '11' })], 'o1', { cost: 10, notBefore: first })).toMatchObject({ type: 'foreign' });
    // A gateway that accepted the repeated id: the old row is excluded, the new one is ours.
    const fresh = row('250', { uid: '10', finishtime: '20261128100005' });
    expect(interpretChargeQuery([fresh, old], 'o1', { cost: 10, notBefore: first })).toMatchObject({ type: 'final', state: 'paid', uid: '10' });
    // Two rows that could both be ours: ambiguous.
    expect(interpretChargeQuery([fresh, row('200', { uid: '11', finishtime: '' })], 'o1', { cost: 10, notBefore: first })).toMatchObject({ type: 'ambiguous' });
  });
  it('parses the gateway time as Taiwan time', () => {
    expect(parseGatewayTime('20261128100000')).toBe(Date.UTC(2026, 10, 28, 2, 0, 0));
    expect(parseGatewayTime('')).toBeUndefined();
    expect(parseGatewayTime('2026-11-28')).toBeUndefined();
  });
  it('the charge as the gateway shows it before a refund: its rows and refundable balance (external refunds, item 7)', () => {
    const rows = [row('250', { refund_order: [{ uid: 'r1', prc: '230', cost: '4' }, { uid: 'r2', prc: '200', cost: '3' }, { uid: 'r3', prc: '300', cost: '9' }] })];
    expect(chargeSnapshot(rows, 'o1', 10)).toMatchObject({ found: true, refundUids: ['r1', 'r2', 'r3'], refunded: 7, refundable: 3 });
    expect(chargeSnapshot([row('300')], 'o1', 10)).toMatchObject({ found: true, refundable: 0 });
    expect(chargeSnapshot([{ uid: '', prc: '', order_id: 'o1', cost: '10' }], 'o1', 10)).toMatchObject({ found: false, refundable: 0 });
  });
});
