/**
 * What one status query means for an operation being followed up, as a pure function of the facts
 * (the query's outcome, the operation's times, the schedule): the status worker only carries the
 * decision out. Every time here is on Redis' clock (queues/clock.ts). Tested by a table
 * (test/domain/follow-up.test.ts).
 */
import type { Outcome } from './outcome.js';
import { nextPollDelay, type PollScheduleOptions } from './schedule.js';

export interface FollowUpFacts {
  state: 'accepted' | 'unknown' | 'pending';
  /** What the query said; null when the gateway could not be asked. */
  outcome: Outcome | null;
  /** When the query was sent (undefined when it was not). */
  askedAt: number | undefined;
  now: number;
  created: number;
  sent?: number;
  firstSent?: number;
  /** The B200 (the terminal demonstrably took the operation). */
  accepted?: number;
  /** When the POST's outcome became unknown. */
  unknownAt?: number;
  poll: PollScheduleOptions;
}

export type FollowUpDecision =
  /** A final outcome, or rows that could both be ours: settle it (or review it); poll again after `delayMs` if that did not apply. */
  | { type: 'settle'; delayMs: number }
  /** No trace of our POST a full window after its outcome became unknown, but another order holds our id: a person decides. */
  | { type: 'review'; reason: string }
  /** No trace a full terminal window after the outcome became unknown: nothing moved; verified once more at `verifyAt`. */
  | { type: 'not_received'; verifyAt: number }
  /** The horizon passed without a final answer. */
  | { type: 'unresolved'; ageMs: number }
  /** Ask again after `delayMs`; `pending`: record the non-final prc; `releaseTerminal`: the terminal is known to be free. */
  | { type: 'continue'; pending: boolean; releaseTerminal: boolean; delayMs: number };

export function decideFollowUp(f: FollowUpFacts): FollowUpDecision {
  const { outcome, poll } = f;
  // The schedule's age runs from the last POST — or, for an outcome that became unknown later (a
  // takeover after the claim's fence), from then: the horizon never cuts a verdict's window short.
  const age = f.now - Math.max(f.sent ?? f.firstSent ?? f.created, f.unknownAt ?? 0);
  const delay = nextPollDelay(age, poll);
  if (outcome?.type === 'final' || outcome?.type === 'ambiguous') return { type: 'settle', delayMs: delay ?? poll.denseIntervalMs };
  const since = f.unknownAt ?? f.sent ?? f.created;
  if (f.state === 'unknown' && f.askedAt !== undefined && (outcome?.type === 'not_found' || outcome?.type === 'foreign') && f.askedAt - since >= poll.terminalWindowMs) {
    if (outcome.type === 'foreign') {
      return { type: 'review', reason: `no trace of our POST a terminal window after its outcome became unknown, and the gateway holds another order under this order_id (${outcome.message})` };
    }
    return { type: 'not_received', verifyAt: since + poll.maxAgeMs };
  }
  const pending = outcome?.type === 'pending';
  const state = pending ? 'pending' : f.state;
  // Known free: prc 280 / A0001 (the terminal's part is done), or a whole window after the B200.
  const releaseTerminal = (outcome?.type === 'pending' && outcome.terminalFree) ||
    (state !== 'unknown' && f.now - (f.accepted ?? f.unknownAt ?? f.sent ?? f.created) >= poll.terminalWindowMs);
  if (delay === null) return { type: 'unresolved', ageMs: age };
  return { type: 'continue', pending, releaseTerminal, delayMs: delay };
}
