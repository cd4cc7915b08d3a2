/** The follow-up decision as a table (domain/operation/follow-up.ts): what one status query means. */
import { describe, expect, it } from 'vitest';
import { decideFollowUp, type FollowUpFacts } from '../../src/domain/operation/follow-up.js';
import type { Outcome } from '../../src/domain/operation/outcome.js';

const poll = { denseIntervalMs: 2_000, terminalWindowMs: 180_000, reconcileStartMs: 30_000, reconcileMaxIntervalMs: 3_600_000, maxAgeMs: 86_400_000 };
const T = 1_000_000_000;
const facts = (over: Partial<FollowUpFacts>): FollowUpFacts => ({ state: 'accepted', outcome: null, askedAt: T, now: T, created: T - 1_000, sent: T - 1_000, poll, ...over });
const o = {
  paid: { type: 'final', state: 'paid', prc: '250' },
  pending: { type: 'pending', prc: '200', unknownPrc: false, terminalFree: false },
  online: { type: 'pending', prc: '280', unknownPrc: false, terminalFree: true },
  notFound: { type: 'not_found' },
  foreign: { type: 'foreign', message: 'older order' },
  ambiguous: { type: 'ambiguous', message: '2 rows', candidates: ['1', '2'] },
} satisfies Record<string, Outcome>;

describe('decideFollowUp', () => {
  it.each<[string, Partial<FollowUpFacts>, string, Record<string, unknown>?]>([
    ['a final prc settles', { outcome: o.paid }, 'settle'],
    ['two candidate rows settle (to needs_review)', { outcome: o.ambiguous }, 'settle'],
    ['pending in the window: ask again densely, terminal kept', { outcome: o.pending }, 'continue', { pending: true, releaseTerminal: false, delayMs: 2_000 }],
    ['prc 280: the terminal is free', { outcome: o.online }, 'continue', { releaseTerminal: true }],
    ['accepted, a whole window after the B200: the terminal is free', { outcome: o.notFound, accepted: T - 180_000, sent: T - 181_000 }, 'continue', { releaseTerminal: true }],
    ['unknown, not found inside the window: ask again, terminal kept', { state: 'unknown', outcome: o.notFound, unknownAt: T - 60_000 }, 'continue', { releaseTerminal: false }],
    ['unknown, not found a whole window after it became unknown: not_received', { state: 'unknown', outcome: o.notFound, unknownAt: T - 180_000 }, 'not_received', { verifyAt: T - 180_000 + 86_400_000 }],
    ['the window counts to when the query was asked, not to now', { state: 'unknown', outcome: o.notFound, unknownAt: T - 180_000, askedAt: T - 1 }, 'continue'],
    ['unknown, only a foreign row a window later: review', { state: 'unknown', outcome: o.foreign, unknownAt: T - 200_000 }, 'review'],
    ['unknown, no answer at all: never a verdict', { state: 'unknown', outcome: null, askedAt: undefined, unknownAt: T - 200_000 }, 'continue'],
    ['accepted, not found: never not_received (a B200 means the gateway took it)', { outcome: o.notFound, accepted: T - 200_000 }, 'continue'],
    ['the horizon: unresolved', { outcome: o.pending, sent: T - 86_400_000 }, 'unresolved'],
    ['a takeover long after the POST: the horizon counts from the unknown outcome', { state: 'unknown', outcome: o.notFound, sent: T - 86_400_000, unknownAt: T - 10_000 }, 'continue'],
  ])('%s', (_n, over, type, extra) => {
    const d = decideFollowUp(facts(over));
    expect(d.type).toBe(type);
    if (extra) expect(d).toMatchObject(extra);
  });
});
