/**
 * The follow-up schedule with its phases (domain/operation/schedule.ts): quiet while the customer is
 * still at the card, dense while an answer is likely, a sparser tail to the window's end, then the
 * reconciliation — and the safety rules that hold whatever the phases (a poll on the window's end,
 * `not_received` only a full window after an unknown outcome, the last poll on the horizon).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../../src/app/runtime.js';
import { loadEnv } from '../../src/config/config.js';
import { decideFollowUp, type FollowUpFacts } from '../../src/domain/operation/follow-up.js';
import { DEFAULT_POLL_SCHEDULE, nextPollDelay, type PollScheduleOptions } from '../../src/domain/operation/schedule.js';
import { resolveSettings, SettingsError } from '../../src/queues/settings.js';

/** What the processes run by default (POLL_QUIET_MS, POLL_DENSE_UNTIL_MS, POLL_TAIL_MS). */
const TUNED: PollScheduleOptions = { ...DEFAULT_POLL_SCHEDULE, quietMs: 6_000, denseUntilMs: 60_000, tailIntervalMs: 5_000 };

/** Ages (ms from the POST) at which the schedule polls, from the first to the horizon. */
function pollAges(opts: PollScheduleOptions, firstAt = 0): number[] {
  const ages: number[] = [];
  for (let age = firstAt, d = nextPollDelay(age, opts); d !== null; d = nextPollDelay(age, opts)) {
    age += d;
    ages.push(age);
  }
  return ages;
}

describe('nextPollDelay with phases', () => {
  it('quiet: the first query comes when the quiet phase ends, even after an early one', () => {
    expect(nextPollDelay(0, TUNED)).toBe(6_000);
    // The device worker's first status job still runs one dense interval after the B200.
    expect(nextPollDelay(2_000, TUNED)).toBe(4_000);
  });

  it('dense until its end (the last dense poll lands on it), then the tail, landing on the window end', () => {
    expect(nextPollDelay(6_000, TUNED)).toBe(2_000);
    expect(nextPollDelay(59_000, TUNED)).toBe(1_000);
    expect(nextPollDelay(60_000, TUNED)).toBe(5_000);
    expect(nextPollDelay(178_000, TUNED)).toBe(2_000);
    expect(nextPollDelay(180_000, TUNED)).toBe(30_000); // reconciliation as before
  });

  it('denseUntilMs 0: the tail interval from the quiet end on; beyond the window: dense to its end', () => {
    const sparse = { ...TUNED, denseUntilMs: 0, tailIntervalMs: 10_000 };
    expect(pollAges(sparse).slice(0, 4)).toEqual([6_000, 16_000, 26_000, 36_000]);
    expect(pollAges({ ...TUNED, denseUntilMs: 10 * 180_000 }).slice(0, 3)).toEqual([6_000, 8_000, 10_000]);
  });

  it('without phases the schedule is the classic one: every dense interval from the POST', () => {
    const classic = pollAges(DEFAULT_POLL_SCHEDULE);
    expect(classic.slice(0, 3)).toEqual([2_000, 4_000, 6_000]);
    expect(pollAges({ ...DEFAULT_POLL_SCHEDULE, quietMs: 0 })).toEqual(classic);
  });

  it('asks about half as often inside the window as the classic schedule', () => {
    const inWindow = (ages: number[]) => ages.filter((a) => a <= 180_000).length;
    expect(inWindow(pollAges(DEFAULT_POLL_SCHEDULE))).toBe(90);
    expect(inWindow(pollAges(TUNED))).toBe(1 + 27 + 24); // quiet end, 6–60 s every 2 s, 60–180 s every 5 s
  });

  it('property: whatever the phases, no poll in the quiet phase, one on the window end, the last on the horizon, no gap in the window longer than its intervals', () => {
    const phases = fc.record({
      denseIntervalMs: fc.integer({ min: 100, max: 10_000 }),
      terminalWindowMs: fc.integer({ min: 20_000, max: 300_000 }),
      quietFraction: fc.double({ min: 0, max: 0.99, noNaN: true }),
      denseUntilMs: fc.option(fc.integer({ min: 0, max: 400_000 }), { nil: undefined }),
      tailIntervalMs: fc.option(fc.integer({ min: 100, max: 30_000 }), { nil: undefined }),
    });
    fc.assert(fc.property(phases, (p) => {
      const opts: PollScheduleOptions = {
        ...DEFAULT_POLL_SCHEDULE, maxAgeMs: 3_600_000, reconcileMaxIntervalMs: 600_000,
        denseIntervalMs: p.denseIntervalMs, terminalWindowMs: p.terminalWindowMs, quietMs: Math.floor(p.quietFraction * p.terminalWindowMs),
        denseUntilMs: p.denseUntilMs, tailIntervalMs: p.tailIntervalMs,
      };
      const ages = pollAges(opts);
      const quiet = opts.quietMs ?? 0;
      const longest = Math.max(opts.denseIntervalMs, opts.tailIntervalMs ?? 0);
      const inWindow = ages.filter((a) => a <= opts.terminalWindowMs);
      const gaps = inWindow.map((a, i) => a - (inWindow[i - 1] ?? quiet));
      expect(quiet > 0 ? ages[0] : quiet).toBe(quiet);
      expect(ages.every((a) => a >= quiet)).toBe(true);
      expect(ages).toContain(opts.terminalWindowMs);
      expect(ages.at(-1)).toBe(opts.maxAgeMs);
      expect(gaps.every((g) => g >= 0 && g <= longest)).toBe(true);
    }));
  });
});

describe('decideFollowUp with phases', () => {
  const T = 1_000_000_000;
  const facts = (over: Partial<FollowUpFacts>): FollowUpFacts => ({ state: 'accepted', outcome: null, askedAt: T, now: T, created: T - 1_000, sent: T - 1_000, poll: TUNED, ...over });

  it('a pending answer in the quiet phase: the next query at the quiet end', () => {
    expect(decideFollowUp(facts({ outcome: { type: 'pending', prc: '200', unknownPrc: false, terminalFree: false }, sent: T - 2_000 }))).toMatchObject({ type: 'continue', delayMs: 4_000 });
  });

  it('unknown, not found in the tail one ms before the window ends: asked again on its end; on it: not_received', () => {
    const notFound = { type: 'not_found' } as const;
    expect(decideFollowUp(facts({ state: 'unknown', outcome: notFound, sent: T - 179_999, unknownAt: T - 179_999 }))).toMatchObject({ type: 'continue', delayMs: 1, releaseTerminal: false });
    expect(decideFollowUp(facts({ state: 'unknown', outcome: notFound, sent: T - 180_000, unknownAt: T - 180_000 }))).toMatchObject({ type: 'not_received' });
  });

  it('the horizon: unresolved', () => {
    expect(decideFollowUp(facts({ outcome: { type: 'pending', prc: '200', unknownPrc: false, terminalFree: false }, sent: T - 86_400_000 }))).toMatchObject({ type: 'unresolved' });
  });
});

describe('settings of the phases', () => {
  it('the environment turns the phases on by default, and they pass the settings check', () => {
    const settings = resolveSettings(settingsFromEnv(loadEnv({})));
    expect(settings.poll).toMatchObject({ denseIntervalMs: 2_000, quietMs: 6_000, denseUntilMs: 60_000, tailIntervalMs: 5_000, terminalWindowMs: 180_000 });
  });

  it.each<[string, Partial<PollScheduleOptions>, RegExp]>([
    ['a quiet phase as long as the window', { quietMs: 180_000 }, /poll\.quietMs \(180000\) must be at least 0 and less than poll\.terminalWindowMs/],
    ['a negative quiet phase', { quietMs: -1 }, /poll\.quietMs \(-1\)/],
    ['a negative dense phase', { denseUntilMs: -5 }, /poll\.denseUntilMs must be at least 0/],
    ['a tail interval of 0', { tailIntervalMs: 0 }, /poll\.tailIntervalMs must be positive/],
  ])('refuses %s', (_name, poll, message) => {
    expect(() => resolveSettings({ poll })).toThrow(SettingsError);
    expect(() => resolveSettings({ poll })).toThrow(message);
  });

  it('refuses a quiet phase longer than a window the environment shortened (one line naming both)', () => {
    expect(() => resolveSettings(settingsFromEnv(loadEnv({ TERMINAL_WINDOW_MS: '5000' })))).toThrow(/poll\.quietMs \(6000\) must be at least 0 and less than poll\.terminalWindowMs \(5000\)/);
  });
});
