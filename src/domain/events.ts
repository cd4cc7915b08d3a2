/**
 * Merchant events (docs/EVENTS.md): which state changes a store backend acts on, and the type each
 * one is announced with. The state-changing scripts write the event in the same step as the change
 * (src/store/lua/lib/effects.lua), so an event exists exactly when its change does.
 */
import type { OperationKind, OperationState } from './operation/states.js';

const CHARGE = ['accepted', 'paid', 'partially_refunded', 'refunded', 'cancelled', 'declined', 'abandoned', 'data_error', 'rejected', 'failed', 'not_received', 'withdrawn'] as const;
const REFUND = ['accepted', 'refunded', 'cancelled', 'declined', 'abandoned', 'data_error', 'rejected', 'failed', 'not_received', 'withdrawn'] as const;
const REPRINT = ['printed', 'rejected', 'failed', 'not_received', 'withdrawn'] as const;

/** Every event type, documented in OpenAPI (`MypayEvent.type`) and docs/EVENTS.md. */
export const EVENT_TYPES = [
  ...CHARGE.map((s) => `charge.${s}` as const),
  ...REFUND.map((s) => `refund.${s}` as const),
  ...REPRINT.map((s) => `reprint.${s}` as const),
  /** A person must look (the reason is in the operation's `review`). */
  'operation.needs_review',
  /** No final answer within the follow-up horizon; a later answer comes as its own event. */
  'operation.unresolved',
  /** Every row of a refund batch has a final state. */
  'refund_batch.completed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(s: string): s is EventType {
  return KNOWN.has(s);
}

/** `charge`, `refund` or `reprint` (both reprint kinds). */
export function eventFamily(kind: OperationKind): 'charge' | 'refund' | 'reprint' {
  return kind === 'reprint_invoice' || kind === 'reprint_signature' ? 'reprint' : kind;
}

/**
 * The event an operation's move to `state` announces, or null for the steps in between (queued,
 * sending, retry_wait, unknown, pending) that a merchant does not act on.
 */
export function eventTypeFor(kind: OperationKind, state: OperationState): EventType | null {
  if (state === 'needs_review' || state === 'unresolved') return `operation.${state}`;
  const type = `${eventFamily(kind)}.${state}`;
  return isEventType(type) ? type : null;
}
