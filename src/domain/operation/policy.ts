/**
 * What a worker does after one POST, as pure functions of the operation and what happened (as
 * stripe-node keeps `_shouldRetry` pure): the workers only carry the decisions out. Tested by a table
 * (test/domain/policy.test.ts).
 *
 * The rule behind every line: a POST is repeated only when the previous one provably was not acted
 * on — never delivered (no byte left), refused as terminal offline/busy, or given up before any byte
 * left. Anything that may have reached the gateway is settled by query, never by a resend.
 */
import { retryDelay, type RetryOptions } from './schedule.js';
import type { OperationKind, OperationState } from './states.js';

/** A failed POST, as the gateway client classified it (src/gateway/errors.ts), without the class. */
export type PostFailure =
  | { kind: 'not_delivered'; message: string }
  | { kind: 'config'; message: string }
  | { kind: 'outcome_unknown'; message: string }
  | { kind: 'bad_answer'; message: string }
  | {
      kind: 'rejected';
      reason: 'terminal_offline' | 'terminal_busy' | 'duplicate_order' | 'invalid_data' | 'unknown_store' | 'other';
      message: string;
    };

export interface PostContext {
  kind: OperationKind;
  /** The POST number of this claim (`sends`). */
  attempt: number;
  now: number;
  /** Give up retrying an unavailable terminal at this time. */
  deadline: number;
  /** An earlier POST of this operation ended outcome-unknown (only after an explicit retry). */
  earlierPostMayHaveActed: boolean;
  /** 0 ≤ random < 1, for the retry jitter. */
  random: number;
  retry: RetryOptions;
}

export type PostDecision =
  /** Provably not acted on: wait `delayMs` at the head of the line, then send again. */
  | { type: 'retry'; delayMs: number; message: string }
  /** Not acted on, and the terminal stayed unavailable until the deadline (or the request cannot be sent). */
  | { type: 'final'; state: Extract<OperationState, 'failed' | 'rejected'>; message: string }
  /** May have been acted on: follow up by query (charges and refunds). */
  | { type: 'unknown'; message: string }
  /** A reprint whose outcome is unknown: never resent (it would print twice); a person checks the printer. */
  | { type: 'reprint_unknown'; message: string };

const isReprint = (k: OperationKind) => k === 'reprint_invoice' || k === 'reprint_signature';

export function decideAfterPostFailure(ctx: PostContext, f: PostFailure): PostDecision {
  const notActedOn =
    f.kind === 'not_delivered' || (f.kind === 'rejected' && (f.reason === 'terminal_offline' || f.reason === 'terminal_busy'));
  if (f.kind === 'config') {
    // Raised before any connection (e.g. a merchant key of the wrong length): no byte left, and
    // sending again unchanged cannot succeed.
    return ctx.earlierPostMayHaveActed ? { type: 'unknown', message: f.message } : { type: 'final', state: 'failed', message: f.message };
  }
  if (notActedOn) {
    if (ctx.now >= ctx.deadline) {
      // This POST was not acted on, but an earlier one may have been: only a query can tell.
      if (ctx.earlierPostMayHaveActed) return { type: 'unknown', message: `not accepted (${f.message}); an earlier POST may have been processed` };
      return { type: 'final', state: 'failed', message: `gave up after ${ctx.attempt} attempt(s): ${f.message}` };
    }
    const delayMs = Math.min(retryDelay(ctx.attempt, ctx.random, ctx.retry), Math.max(1, ctx.deadline - ctx.now));
    return { type: 'retry', delayMs, message: f.message };
  }
  if (f.kind === 'rejected') {
    // B500 (資料異常不予以處理): this POST was not processed. A charge refused because its order_id
    // already exists at the gateway means the id was used before us — never our payment — unless an
    // earlier POST of ours may have arrived (then only a query can tell).
    if (ctx.earlierPostMayHaveActed) return isReprint(ctx.kind) ? { type: 'reprint_unknown', message: f.message } : { type: 'unknown', message: f.message };
    if (f.reason === 'duplicate_order' && ctx.kind === 'charge') {
      return { type: 'final', state: 'rejected', message: `order_id already used at the gateway before this charge: ${f.message}` };
    }
    return { type: 'final', state: 'rejected', message: f.message };
  }
  // outcome_unknown or bad_answer: the gateway may have acted.
  return isReprint(ctx.kind) ? { type: 'reprint_unknown', message: f.message } : { type: 'unknown', message: f.message };
}

/**
 * An answer (or a failure) arrived for a POST, but the record is no longer the `sending` of this
 * POST's claim. What does that say?
 * - `taken_over`: another worker took the operation over after the claim's fence (this worker
 *   stalled or lost Redis while waiting for the answer); the record moved on legitimately, still
 *   naming this claim. Record the answer in the audit trail; the follow-up settles it.
 * - `lost_writes`: the record went backwards — `queued`/`retry_wait` again, or it names another claim
 *   (this one was lost, or another POST was claimed after it) — writes were lost (a failover, an AOF
 *   that had not reached disk). Nothing more may be sent; a person must look. A unique token per
 *   claim (not a counter, which a lost write can make repeat) is what tells the two apart.
 */
export function judgeStaleAnswer(current: { state: OperationState | 'missing'; claim: string }, myClaim: string): 'taken_over' | 'lost_writes' {
  if (current.state === 'missing') return 'lost_writes';
  if (current.claim !== myClaim) return 'lost_writes';
  if (current.state === 'queued' || current.state === 'retry_wait') return 'lost_writes';
  return 'taken_over';
}
