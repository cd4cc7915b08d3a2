/**
 * The operation record as stored (a Redis hash of strings) and as shown (typed, `key` redacted).
 * Read back through zod: Redis is a trust boundary too (docs/CORE.md).
 */
import { z } from 'zod';
import { OPERATION_KINDS, OPERATION_STATES } from '../domain/operation/states.js';
import { REDACTED, redactSecrets } from '../domain/redact.js';

const num = z.coerce.number().int();
const optNum = z.coerce.number().int().optional();

export const storedOperationSchema = z.object({
  id: z.string(),
  kind: z.enum(OPERATION_KINDS),
  state: z.enum(OPERATION_STATES),
  lane: z.enum(['live', 'bulk']),
  store: z.string(),
  device: z.string(),
  fp: z.string(),
  /**
   * Gateway request payload (JSON) without what the record holds in fields of its own (store,
   * device, order, amount, uid) and without the charge `key`; see {@link gatewayRequest}. Kept short
   * so the hash stays in Redis' compact listpack encoding.
   */
  req: z.string(),
  order_id: z.string().optional(),
  cost: optNum,
  /** Refunds of charges not made through us: the original order amount, for querydirect. */
  order_cost: optNum,
  uid: z.string().optional(),
  key: z.string().optional(),
  prc: z.string().optional(),
  msg: z.string().optional(),
  /** Charge op id a refund or reprint belongs to. */
  charge: z.string().optional(),
  /** Refund id / reprint id given by the caller. */
  ref: z.string().optional(),
  batch: z.string().optional(),
  refund_uid: z.string().optional(),
  refunded: optNum,
  reserved: optNum,
  /** POSTs claimed (each claim counts one, whether or not a byte left). */
  sends: optNum,
  attempts: optNum,
  /** 1 + explicit retries after `not_received`. */
  attempt: optNum,
  polls: optNum,
  /** Redis-clock time (ms) before which nobody may take the current claim over. */
  claim_until: optNum,
  /** The current claim's token: every step about its POST names it (lost-write detection). */
  claim: z.string().optional(),
  /** Why a person must look (needs_review), or why a settled outcome is flagged (a late row). */
  review: z.string().optional(),
  /** Refund rows (uids, JSON array) the charge had just before this refund's POST: only a new row can be ours. */
  seen_refunds: z.string().optional(),
  /** Follow-ups the janitor re-created. */
  redrives: optNum,
  /** not_received: when the late verification found nothing either. */
  reverified: optNum,
  /** not_received: when an explicit retry was asked for (0/absent: none pending). */
  retry_requested: optNum,
  /** A POST of this operation ended outcome-unknown at some attempt (so a refusal later says nothing about it). */
  unknown_posts: optNum,
  unknown_prc: z.string().optional(),
  created: num,
  updated: num,
  sent: optNum,
  first_sent: optNum,
  accepted: optNum,
  /** When the last POST's outcome became unknown (answer timeout, reset, …). */
  unknown_at: optNum,
  deadline: optNum,
  released: optNum,
  finished: optNum,
});
export type StoredOperation = z.infer<typeof storedOperationSchema>;

export { REDACTED };

/** Fields of the gateway payload that the record keeps as fields of its own. */
export const RECORD_FIELDS = ['store_uid', 'device_name', 'order_id', 'cost', 'uid', 'key'] as const;

/** The payload to store in `req`: the gateway payload minus {@link RECORD_FIELDS}. */
export function storedRequest(payload: Record<string, unknown>): string {
  const rest = Object.fromEntries(Object.entries(payload).filter(([k]) => !(RECORD_FIELDS as readonly string[]).includes(k)));
  return JSON.stringify(rest);
}

/** The gateway payload of an operation, rebuilt from its record — without the charge `key`. */
export function gatewayRequest(op: StoredOperation): Record<string, unknown> {
  let rest: Record<string, unknown> = {};
  try {
    rest = JSON.parse(op.req) as Record<string, unknown>;
  } catch {
    rest = {};
  }
  const head: Record<string, unknown> = { store_uid: op.store, device_name: op.device };
  if (op.kind === 'charge') Object.assign(head, { order_id: op.order_id, cost: String(op.cost) });
  else head.uid = op.uid;
  if (op.kind === 'refund') head.cost = String(op.cost);
  return { ...head, ...rest };
}

/** What callers, logs, the API and Bull Board see: the charge `key` never leaves the store. */
export interface OperationRecord {
  id: string;
  kind: StoredOperation['kind'];
  state: StoredOperation['state'];
  lane: 'live' | 'bulk';
  store_uid: string;
  device_name: string;
  order_id?: string;
  cost?: number;
  uid?: string;
  key?: typeof REDACTED;
  prc?: string;
  message?: string;
  charge_id?: string;
  reference?: string;
  batch_id?: string;
  refund_uid?: string;
  refunded_amount?: number;
  reserved_amount?: number;
  posts: number;
  attempt: number;
  polls: number;
  /** Why a person must look at this operation (needs_review), or why its outcome is flagged. */
  review?: string;
  unknown_prc?: string;
  request: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  sent_at?: string;
  accepted_at?: string;
  released_at?: string;
  finished_at?: string;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function toRecord(op: StoredOperation): OperationRecord {
  const request = gatewayRequest(op);
  if (op.kind !== 'charge') request.key = REDACTED;
  return {
    id: op.id,
    kind: op.kind,
    state: op.state,
    lane: op.lane,
    store_uid: op.store,
    device_name: op.device,
    order_id: op.order_id,
    cost: op.cost,
    uid: op.uid,
    key: op.key ? REDACTED : undefined,
    prc: op.prc,
    message: op.msg,
    charge_id: op.charge,
    reference: op.ref,
    batch_id: op.batch,
    refund_uid: op.refund_uid,
    refunded_amount: op.kind === 'charge' ? (op.refunded ?? 0) : undefined,
    reserved_amount: op.kind === 'charge' ? (op.reserved ?? 0) : undefined,
    posts: op.sends ?? 0,
    attempt: op.attempt ?? 1,
    polls: op.polls ?? 0,
    review: op.review,
    unknown_prc: op.unknown_prc,
    request,
    created_at: iso(op.created)!,
    updated_at: iso(op.updated)!,
    sent_at: iso(op.sent),
    accepted_at: iso(op.accepted),
    released_at: iso(op.released),
    finished_at: iso(op.finished),
  };
}

/**
 * The record as the API, events and webhooks show it: {@link toRecord} masks the charge key; the
 * request payload gets the deep pass of the one redaction list too (domain/redact.ts).
 */
export function publicRecord(op: StoredOperation): OperationRecord {
  const r = toRecord(op);
  return { ...r, request: redactSecrets(r.request) as Record<string, unknown> };
}
