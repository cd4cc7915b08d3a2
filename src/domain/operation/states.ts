/**
 * Operation states: one closed union and one transition table (docs/CORE.md). States never move
 * backwards; every change goes through {@link assertTransition}, and the Redis scripts only apply a
 * change whose `from` state is still the one the caller read (compare-and-set).
 */
import { MypayError } from '../errors.js';

export const OPERATION_KINDS = ['charge', 'refund', 'reprint_invoice', 'reprint_signature'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export const OPERATION_STATES = [
  /** In its terminal's line, not sent yet. */
  'queued',
  /** POST in progress. If the process dies here the outcome is unknown, never "not sent". */
  'sending',
  /**
   * Provably not acted on (not delivered, terminal offline/busy, a claim given up before any byte
   * left, a refund's pre-POST query that failed): waits, holding its place at the head, and sends again.
   */
  'retry_wait',
  /** B200: the terminal took it; the status follow-up queries for the outcome. */
  'accepted',
  /** The POST may or may not have reached the gateway; only a query may tell. */
  'unknown',
  /** A query answered with a non-final prc (200, 280, A0001, 400 or a code we do not know). */
  'pending',
  // ── final ──
  /** prc 250 or 600. */
  'paid',
  /** A paid charge part of whose amount was refunded through our refunds. */
  'partially_refunded',
  /** Refund op: prc 230. Charge: the whole amount refunded through our refunds. */
  'refunded',
  /** prc 220. */
  'cancelled',
  /**
   * A person must look: prc 290 (paid, amounts differ), a gateway row that cannot be proven ours (two
   * candidates, an older order under our id), evidence of lost writes, a follow-up that keeps failing,
   * a record that no longer parses. The reason is in `review` and the audit trail.
   */
  'needs_review',
  /** prc 300. */
  'declined',
  /** prc A0002. */
  'abandoned',
  /** prc 100: the gateway found the data wrong. */
  'data_error',
  /** B500 for invalid data: never retried. */
  'rejected',
  /** Terminal offline/busy (or not reachable) until the retry deadline. */
  'failed',
  /** Reprint answered B200. */
  'printed',
  /** No final answer within the follow-up horizon: manual review. */
  'unresolved',
  /**
   * The POST's outcome was unknown and a query a full terminal window later found no trace of it:
   * nothing moved, safe to start again (explicitly: `POST /v1/operations/{id}/retry`). Re-verified by
   * one more query at the reconciliation horizon; a row that appears late moves it to its real
   * outcome, flagged for review.
   */
  'not_received',
  /** Cancelled by the merchant while still waiting in its terminal's line (never sent). */
  'withdrawn',
] as const;
export type OperationState = (typeof OPERATION_STATES)[number];

const FINAL: ReadonlySet<OperationState> = new Set([
  'paid', 'partially_refunded', 'refunded', 'cancelled', 'needs_review', 'declined', 'abandoned',
  'data_error', 'rejected', 'failed', 'printed', 'unresolved', 'not_received', 'withdrawn',
]);

/** Final for the terminal line: the operation will not talk to the terminal again. */
export function isFinalState(state: OperationState): boolean {
  return FINAL.has(state);
}

const OUTCOMES: OperationState[] = ['paid', 'refunded', 'cancelled', 'needs_review', 'declined', 'abandoned', 'data_error'];

/**
 * The transition table. `unresolved` may still be resolved by a later query (late reconciliation),
 * `not_received` by a late row (flagged) or an explicit retry, and a paid charge only moves on
 * through our own refunds. There is no way from `unknown` back to sending: an operation whose POST
 * may have been acted on is never sent again automatically.
 */
export const TRANSITIONS: Readonly<Record<OperationState, readonly OperationState[]>> = {
  // queued/retry_wait → unknown: before a new attempt (an explicit retry), the gateway shows an earlier
  // attempt's POST after all: settled by query, not sent again.
  queued: ['sending', 'retry_wait', 'unknown', 'rejected', 'needs_review', 'withdrawn'],
  sending: ['accepted', 'unknown', 'retry_wait', 'rejected', 'failed', 'printed', 'unresolved', 'needs_review'],
  retry_wait: ['sending', 'unknown', 'failed', 'rejected', 'needs_review', 'withdrawn'],
  accepted: ['pending', ...OUTCOMES, 'unresolved'],
  unknown: ['pending', 'accepted', ...OUTCOMES, 'unresolved', 'not_received'],
  pending: [...OUTCOMES, 'unresolved'],
  paid: ['partially_refunded', 'refunded'],
  partially_refunded: ['refunded'],
  refunded: [],
  cancelled: [],
  needs_review: [],
  declined: [],
  abandoned: [],
  data_error: [],
  rejected: [],
  failed: [],
  printed: [],
  unresolved: [...OUTCOMES],
  not_received: ['queued', 'pending', ...OUTCOMES],
  withdrawn: [],
};

export function canTransition(from: OperationState, to: OperationState): boolean {
  return from === to ? from === 'pending' || from === 'partially_refunded' : TRANSITIONS[from].includes(to);
}

/** A bug: a test must catch it. Never retried (a rerun would attempt the same transition). */
export class IllegalTransitionError extends MypayError {
  readonly code = 'ILLEGAL_TRANSITION';
  readonly retryable = false;
  readonly httpStatus = 500;
  readonly title = 'Illegal operation transition';
  constructor(readonly from: OperationState, readonly to: OperationState) {
    super(`illegal operation transition ${from} → ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function assertTransition(from: OperationState, to: OperationState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
