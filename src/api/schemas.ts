/**
 * The HTTP API's bodies and answers as zod schemas. Request bodies reuse the domain's and the
 * producers' schemas (the ones that actually validate); answers are described here and checked
 * against real answers by the API tests, so the OpenAPI document cannot drift from what is served.
 */
import { z } from 'zod';
import { EVENT_TYPES } from '../domain/events.js';
import { chargeRequestObject } from '../domain/schemas/requests/charge.js';
import { OPERATION_KINDS, OPERATION_STATES } from '../domain/operation/states.js';
import { invoiceReprintInputSchema, refundInputSchema, signatureReprintInputSchema } from '../producers/operations.producer.js';
import { refundCompleteCallbackSchema, transactionCompleteCallbackSchema } from '../domain/schemas/answers/callbacks.js';

const storeNote = 'optional when exactly one store is configured';

/** `POST /v1/charges`: the spec's 『銷售系統發動交易』 payload; `order_id` may come from `Idempotency-Key`. */
export const chargeBodySchema = chargeRequestObject
  .partial({ store_uid: true, order_id: true })
  .meta({ description: `The spec's charge payload (api/postransaction). store_uid ${storeNote}; order_id is the idempotency key and may be given as the Idempotency-Key header instead.` });

export const refundBodySchema = refundInputSchema
  .partial({ store_uid: true, refund_id: true })
  .meta({ description: `A refund of a charge, named by order_id (ours) or uid + key. refund_id is the idempotency key (or the Idempotency-Key header). store_uid ${storeNote}.` });

export const invoiceReprintBodySchema = invoiceReprintInputSchema
  .partial({ store_uid: true })
  .meta({ description: `Reprint the invoice of a charge (api/posreprintinvoice). reprint_id (or Idempotency-Key) makes a retry print once. store_uid ${storeNote}.` });

export const signatureReprintBodySchema = signatureReprintInputSchema
  .partial({ store_uid: true })
  .meta({ description: `Reprint the signature slip of a charge (api/posreprintsignature). store_uid ${storeNote}.` });

export const callbackBodySchema = z
  .union([transactionCompleteCallbackSchema, refundCompleteCallbackSchema])
  .meta({ description: "The gateway's 回報 fields (『交易完成回傳資訊』, 『非即時交易回傳資訊』, 『訂單確認回傳資訊』, 『退款完成回傳資訊』), form-urlencoded or JSON. Only order_id (and refund_uid) are used: as a hint to query now." });

const iso = z.string().meta({ format: 'date-time' });

export const operationRecordSchema = z
  .object({
    id: z.string().meta({ description: 'Operation id: <kind>.<store_uid>.<idempotency key>' }),
    kind: z.enum(OPERATION_KINDS),
    state: z.enum(OPERATION_STATES).meta({ description: 'Closed union; final states: paid (prc 250/600), partially_refunded, refunded, cancelled, needs_review (prc 290, or a person must look: see review), declined (300), abandoned (A0002), data_error (100), rejected (B500), failed (never sent), printed, unresolved, not_received (outcome was unknown and the gateway shows no trace: nothing moved, POST /v1/operations/{id}/retry starts it again), withdrawn' }),
    lane: z.enum(['live', 'bulk']),
    store_uid: z.string(),
    device_name: z.string(),
    order_id: z.string().optional(),
    cost: z.number().int().optional(),
    uid: z.string().optional(),
    key: z.literal('[redacted]').optional(),
    prc: z.string().optional(),
    message: z.string().optional(),
    charge_id: z.string().optional(),
    reference: z.string().optional(),
    batch_id: z.string().optional(),
    refund_uid: z.string().optional(),
    refunded_amount: z.number().int().optional(),
    reserved_amount: z.number().int().optional(),
    posts: z.number().int(),
    attempt: z.number().int().meta({ description: '1, plus one per explicit retry after not_received' }),
    review: z.string().optional().meta({ description: 'Why a person must look (needs_review), or why a settled outcome is flagged (a late row)' }),
    polls: z.number().int(),
    unknown_prc: z.string().optional(),
    request: z.record(z.string(), z.unknown()).meta({ description: 'The payload as sent to the gateway, secrets redacted' }),
    created_at: iso,
    updated_at: iso,
    sent_at: iso.optional(),
    accepted_at: iso.optional(),
    released_at: iso.optional(),
    finished_at: iso.optional(),
  });

export const auditEntrySchema = z
  .object({ id: z.string(), at: iso, event: z.string(), data: z.unknown() })
  .meta({ description: 'One request sent or answer received (secrets redacted)' });

export const operationViewSchema = operationRecordSchema.extend({ audit: z.array(auditEntrySchema) });

export const paymentViewSchema = operationViewSchema
  .extend({ refunds: z.array(operationRecordSchema), reprints: z.array(operationRecordSchema) });

export const deviceViewSchema = z
  .object({
    store_uid: z.string(),
    device_name: z.string(),
    configured: z.boolean().meta({ description: "In the store's configured terminals (`devices`, `MYPAY_DEVICES`); false: known from its operations only" }),
    status: z.enum(['idle', 'busy']),
    in_flight: z
      .object({ id: z.string(), kind: z.enum(OPERATION_KINDS).optional(), state: z.enum(OPERATION_STATES).optional(), order_id: z.string().optional(), cost: z.number().int().optional() })
      .nullable(),
    lease_expires_at: iso.nullable(),
    waiting: z.number().int(),
    next_in_line: z.array(z.string()),
    last_answer_at: iso.nullable(),
    last_answer_code: z.string().nullable(),
  });

export const devicesListSchema = z.object({ devices: z.array(deviceViewSchema), offset: z.number().int(), limit: z.number().int() });

export const devicesQuerySchema = z.strictObject({
  store_uid: z.string().min(1).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const refundBatchObjectSchema = z
  .object({
    id: z.string(),
    kind: z.literal('refund_batch'),
    store_uid: z.string(),
    status: z.literal('complete'),
    rows: z.number().int(),
    final: z.number().int(),
    counts: z.record(z.string(), z.number().int()).meta({ description: 'Rows by final state (refunded, declined, not_enqueued, …)' }),
    not_refunded: z.array(z.object({ row: z.number().int(), order_id: z.string().optional(), refund_id: z.string().optional(), state: z.string(), message: z.string().optional() })).meta({ description: 'Rows that did not end refunded (first 100)' }),
    not_refunded_count: z.number().int(),
    created_at: iso,
    completed_at: iso,
  })
  .meta({ description: 'A refund batch, as its refund_batch.completed event shows it' });

export const eventSchema = z
  .object({
    id: z.string().meta({ description: 'evt_<ms>-<seq>: unique; orders the events of a store (and of one operation). Also the webhook-id of its deliveries' }),
    type: z.enum(EVENT_TYPES).meta({
      description:
        '<family>.<state> when an operation reaches that state (charge.accepted: the terminal took it; charge.paid, charge.declined, … final), operation.needs_review and operation.unresolved (a person must look), refund_batch.completed. A refund that moves its charge to partially_refunded/refunded also announces the charge (charge.partially_refunded / charge.refunded)',
    }),
    created_at: iso,
    store_uid: z.string(),
    data: z.object({ object: z.union([operationRecordSchema, refundBatchObjectSchema]).meta({ description: 'The operation as GET /v1/operations/{id} shows it right after the change (without its audit trail; secrets redacted; `request` reduced to the operation\'s own fields: no items or customer fields), or the refund batch' }) }),
  })
  .meta({ description: 'A merchant event: the feed item and the webhook body' });

export const eventListSchema = z.object({
  data: z.array(eventSchema),
  next_cursor: z.string().nullable().meta({ description: 'Pass as `after` to read on: the last event looked at (also when a type filter left it out)' }),
  has_more: z.boolean().meta({ description: 'More events may follow right away; false: caught up (poll again later from next_cursor)' }),
});

/** A comma-separated list of values from `allowed` (query parameters): every unknown one named. */
function commaList<T extends string>(allowed: readonly T[], what: string) {
  return z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return undefined;
      const values = s.split(',').map((v) => v.trim()).filter(Boolean);
      const bad = values.filter((v) => !(allowed as readonly string[]).includes(v));
      if (bad.length) ctx.addIssue({ code: 'custom', message: `unknown ${what}: ${bad.join(', ')}${allowed.length <= 8 ? ` (one of ${allowed.join(', ')})` : ''}` });
      return values as T[];
    });
}

const isoWithZone = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, 'must be an ISO 8601 date-time with a zone, e.g. 2026-11-28T09:00:00+08:00')
  .refine((s) => !Number.isNaN(Date.parse(s)), 'is not a valid date-time')
  .transform((s) => Date.parse(s));

/** `GET /v1/payments` (charges) and `GET /v1/operations` (every kind): filters, newest first. */
export const searchQuerySchema = z.strictObject({
  store_uid: z.string().min(1).optional(),
  state: z.enum(OPERATION_STATES).optional(),
  device_name: z.string().min(1).max(64).optional(),
  created_gte: isoWithZone.optional(),
  created_lt: isoWithZone.optional(),
  order_id_prefix: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a cursor from a previous page').optional(),
});

export const operationsSearchQuerySchema = searchQuerySchema.extend({
  /** Comma-separated kinds. */
  kind: commaList(OPERATION_KINDS, 'kind(s)'),
});

export const searchResultSchema = z.object({
  data: z.array(operationRecordSchema),
  next_cursor: z.string().nullable().meta({ description: 'Pass as cursor for the next (older) page; null: no more' }),
});

/** `GET /v1/operations/{id}?wait=`: seconds to hold the request until the operation is final. */
export const operationQuerySchema = z.strictObject({
  wait: z.coerce.number().min(0).max(60).optional(),
});

/** `GET /v1/events` */
export const eventsQuerySchema = z.strictObject({
  store_uid: z.string().min(1).optional(),
  /** Comma-separated event types. */
  type: commaList(EVENT_TYPES, 'event type(s)'),
  after: z.string().regex(/^evt_\d{1,16}-\d{1,16}$/, 'must be an event id (evt_…)').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const callbackResultSchema = z.object({
  result: z.enum(['queried', 'coalesced', 'unknown_order', 'not_followed_up']).meta({ description: 'queried: the status query runs now; coalesced: a callback for this order asked one moments ago (CALLBACK_COALESCE_MS), none more; unknown_order; not_followed_up: nothing open to query' }),
  store_uid: z.string().optional(),
  order_id: z.string(),
});

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    retryable: z.boolean().meta({ description: 'Whether the same request, unchanged, may succeed if sent again later (false: fix it first)' }),
    errors: z.array(z.object({ field: z.string(), message: z.string() })),
  });
