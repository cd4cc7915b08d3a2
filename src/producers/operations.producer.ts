/**
 * Producers: typed functions a store backend calls to enqueue a charge, a refund or a reprint.
 * One import, one Redis connection:
 *
 * ```ts
 * const mypay = createProducer({ connection: 'redis://127.0.0.1:6379' });
 * const { operation } = await mypay.enqueueCharge({ store_uid, device_name: 'A01', order_id: '123', cost: 10, pfn: 'CREDITCARD' });
 * ```
 *
 * Idempotency (kept in our own records, docs/CORE.md › Operations and their records):
 * - charge: store + `order_id`;
 * - refund: the caller's `refund_id` — required, so a retried call can never refund twice;
 * - reprint: the caller's `reprint_id`, or derived from the charge, kind, options and the current
 *   minute (a double click prints once; a reprint a minute later prints again).
 * Same key + same parameters → the existing operation; other parameters → {@link IdempotencyConflictError}.
 */
import { z } from 'zod';
import { chargeRequestSchema, type ChargeRequestInput } from '../domain/schemas/requests/charge.js';
import { refundRequestSchema } from '../domain/schemas/requests/refund.js';
import { reprintInvoiceRequestSchema } from '../domain/schemas/requests/reprint-invoice.js';
import { reprintSignatureRequestSchema } from '../domain/schemas/requests/reprint-signature.js';
import { itemsSchema } from '../domain/schemas/requests/item.js';
import { amountValue } from '../domain/schemas/requests/fields.js';
import { parseOrThrow, toValidationIssues, ValidationError } from '../domain/validation.js';
import { MypayError, type ValidationIssue } from '../domain/errors.js';
import { createCore, type Core, type CoreOptions } from '../queues/core.js';
import { operationId } from '../store/keys.js';
import { storedRequest, toRecord, type OperationRecord, type StoredOperation } from '../store/record.js';
import { enqueueOperation, enqueueOperations, type EnqueueOutcome, type EnqueueResult } from './enqueue.js';
import type { CreateOperation } from '../store/operations.js';
import { chargeNotPaid, fieldError, NotCancellableError } from './errors.js';
import { cancelOperation } from './cancel.js';
import { fingerprint } from './fingerprint.js';
import { createEventTail, type EventFilter, type EventTail } from './event-tail.js';
import { streamIdOf, type EventPage, type MypayEvent } from '../store/events.js';
import type { EventType } from '../domain/events.js';
import type { OperationKind } from '../domain/operation/states.js';

export type Lane = 'live' | 'bulk';
const laneSchema = z.enum(['live', 'bulk']).default('live');
const idSchema = z.string().trim().min(1, 'is required').max(64, 'must be at most 64 characters');

/** Finds the charge a refund/reprint refers to: by our `order_id`, else by the gateway `uid`. */
const chargeRefSchema = z.object({
  store_uid: z.string().min(1, 'is required'),
  order_id: z.string().trim().min(1).optional(),
  uid: z.string().trim().min(1).optional(),
  key: z.string().trim().min(1).optional(),
  /** For refunds of charges not made through us: the original order amount (querydirect needs it). */
  order_cost: z.union([z.string(), z.number()]).optional(),
  device_name: z.string().trim().min(1).optional(),
});

export const refundInputSchema = chargeRefSchema.extend({
  refund_id: idSchema,
  cost: z.union([z.string(), z.number()]),
  items: itemsSchema.optional(),
  invoice_state: z.union([z.string(), z.number()]).optional(),
  receipt_type: z.union([z.string(), z.number()]).optional(),
  batch_id: z.string().optional(),
  lane: laneSchema,
}).strict();
export type RefundInput = z.input<typeof refundInputSchema>;

export const invoiceReprintInputSchema = chargeRefSchema.extend({
  reprint_id: idSchema.optional(),
  type: z.union([z.string(), z.number()]).optional(),
  print_type: z.union([z.string(), z.number()]).optional(),
}).strict();
export type InvoiceReprintInput = z.input<typeof invoiceReprintInputSchema>;

export const signatureReprintInputSchema = chargeRefSchema.extend({
  reprint_id: idSchema.optional(),
  receipt_type: z.union([z.string(), z.number()]).optional(),
}).strict();
export type SignatureReprintInput = z.input<typeof signatureReprintInputSchema>;

/** Stands in for the charge's uid, key and device (they come from its record) while nothing is looked up. */
const STAND_IN = '-';

/**
 * Every bad field of an input, found without any look-up: the gateway payload's it becomes (for a
 * refund or reprint with the charge's uid, key and device stood in for when the caller gives none:
 * they come from the charge record, looked up later), then the input schema's own (ids, lane,
 * unknown fields). A field is named once, with the payload's wording. Empty: valid as far as can be
 * told before the look-up.
 */
export function inputIssues(kind: OperationKind, input: unknown): ValidationIssue[] {
  const raw = (input !== null && typeof input === 'object' && !Array.isArray(input) ? input : {}) as Record<string, unknown>;
  const charge = { store_uid: raw.store_uid, uid: raw.uid ?? STAND_IN, key: raw.key ?? STAND_IN, device_name: raw.device_name ?? STAND_IN };
  switch (kind) {
    case 'charge':
      return issuesOf(chargeRequestSchema, input);
    case 'refund':
      return merged(issuesOf(refundRequestSchema, { ...charge, cost: raw.cost, items: raw.items, invoice_state: raw.invoice_state, receipt_type: raw.receipt_type }), issuesOf(refundInputSchema, input));
    case 'reprint_invoice':
      return merged(issuesOf(reprintInvoiceRequestSchema, { ...charge, type: raw.type, print_type: raw.print_type }), issuesOf(invoiceReprintInputSchema, input));
    case 'reprint_signature':
      return merged(issuesOf(reprintSignatureRequestSchema, { ...charge, receipt_type: raw.receipt_type }), issuesOf(signatureReprintInputSchema, input));
  }
}

function issuesOf(schema: z.ZodType, value: unknown): ValidationIssue[] {
  const r = schema.safeParse(value);
  return r.success ? [] : toValidationIssues(r.error.issues);
}

/** `into` with the issues of `more` whose field it does not name yet (the first message of a field wins). */
function merged(into: ValidationIssue[], more: readonly ValidationIssue[]): ValidationIssue[] {
  for (const issue of more) if (!into.some((i) => i.field === issue.field)) into.push(issue);
  return into;
}

export interface OrderView {
  payment: OperationRecord;
  refunds: OperationRecord[];
  reprints: OperationRecord[];
}

export type { EventFilter, EventTail, MypayEvent, EventType };

/** What a producer may enqueue for: the configured merchants and their terminals. */
export interface ProducerScope {
  /** Store uids this producer may enqueue for (configured merchants). Unset: any. */
  stores?: readonly string[];
  /**
   * Terminals per store (`devices` of the stores file, `MYPAY_DEVICES`): a charge, refund or reprint
   * on a terminal not listed for its store is refused (400 naming `device_name`). A store not in
   * the map (or no map): any terminal.
   */
  terminals?: Readonly<Record<string, readonly string[]>>;
}

export interface ProducerOptions extends CoreOptions, ProducerScope {}

export interface Producer {
  readonly core: Core;
  enqueueCharge(input: ChargeRequestInput, options?: { lane?: Lane }): Promise<EnqueueResult>;
  /** Many charges at once: one pipeline of enqueue scripts, one `addBulk`; an outcome per input, in order. */
  enqueueCharges(inputs: ChargeRequestInput[], options?: { lane?: Lane }): Promise<EnqueueOutcome[]>;
  enqueueRefund(input: RefundInput): Promise<EnqueueResult>;
  /** Many refunds at once (batch runs): one pipeline of scripts, one `addBulk`; an outcome per input, in order. */
  enqueueRefunds(inputs: RefundInput[]): Promise<EnqueueOutcome[]>;
  enqueueInvoiceReprint(input: InvoiceReprintInput): Promise<EnqueueResult>;
  enqueueSignatureReprint(input: SignatureReprintInput): Promise<EnqueueResult>;
  getOperation(id: string): Promise<OperationRecord | null>;
  /** The charge record of an order (look-up by order). */
  getPayment(storeUid: string, orderId: string): Promise<OperationRecord | null>;
  /** The charge of an order with its refunds and reprints, oldest first. */
  getOrder(storeUid: string, orderId: string): Promise<OrderView | null>;
  /**
   * The operation as soon as it is final, or as it is after `timeoutMs` (check `state`); null when
   * there is no such operation. All waits of a process share one blocking read of the event stream
   * (no Redis round trip per check).
   */
  waitForFinal(id: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<OperationRecord | null>;
  /**
   * Withdraws an operation still waiting in its terminal's line (never sent): `withdrawn`, its place
   * freed, a refund's reservation released. Throws {@link NotCancellableError} (409) once it was sent
   * or is final; null when there is no such operation.
   */
  cancel(id: string): Promise<OperationRecord | null>;
  /** The process' one live tail of the event stream (created on first use; closed with the producer). */
  eventTail(): EventTail;
  /** New merchant events as they happen (stream order), optionally of some types or stores; returns the unsubscribe function. */
  subscribe(handler: (event: MypayEvent) => void | Promise<void>, filter?: EventFilter): () => void;
  /** A store's events after the cursor `after` (an event id), oldest first: the feed `GET /v1/events` serves. */
  listEvents(options: { store_uid: string; after?: string; limit?: number; types?: readonly EventType[] }): Promise<EventPage>;
  close(): Promise<void>;
}

/**
 * A producer over its own connection (`options`), or over a core the process already has (then
 * `scope` says which stores and terminals it may enqueue for; the options' own otherwise).
 */
export function createProducer(options: ProducerOptions | Core, scope: ProducerScope = {}): Producer {
  const core: Core = 'store' in options ? options : createCore(options);
  const allowed = scope.stores ?? ('store' in options ? undefined : options.stores);
  const terminals = scope.terminals ?? ('store' in options ? undefined : options.terminals);
  let tail: EventTail | null = null;
  const events = () => (tail ??= createEventTail(core));

  const checkStore = (store: string) => {
    if (allowed && !allowed.includes(store)) throw fieldError('store_uid', `store ${store} is not configured`);
  };

  /** Why `device` is not a terminal of `store` (its configured list), or null when it is (or none is configured). */
  const terminalIssue = (store: string, device: string, fromCharge = false): string | null => {
    const list = terminals?.[store];
    if (!list || list.includes(device)) return null;
    return fromCharge
      ? `the charge's terminal ${device} is not a terminal configured for store ${store}: give device_name`
      : `${device} is not a terminal configured for store ${store} (GET /v1/devices lists them)`;
  };
  const checkTerminal = (store: string, device: string, fromCharge = false) => {
    const why = terminalIssue(store, device, fromCharge);
    if (why) throw fieldError('device_name', why);
  };

  async function resolveCharge(ref: ChargeRef): Promise<StoredOperation | null> {
    if (ref.order_id) return core.store.get(operationId('charge', ref.store_uid, ref.order_id));
    if (ref.uid) {
      const id = await core.store.chargeIdByUid(ref.store_uid, ref.uid);
      return id ? core.store.get(id) : null;
    }
    throw fieldError('order_id', 'is required (or uid)');
  }

  /**
   * A refund's or reprint's input with its target, or one error naming every bad field: the input's
   * (found before any look-up, {@link inputIssues}) with the charge look-up's (an unknown order, a
   * charge not paid, a refund item the charge does not have). Without a bad field of the input, the
   * look-up's own error is thrown as it is (its status: 400, 409 not paid yet, 422 never paid).
   */
  async function prepare<S extends z.ZodType>(
    kind: Exclude<OperationKind, 'charge'>, schema: S, input: unknown,
    find: (ref: ChargeRef) => Promise<StoredOperation | null> = resolveCharge,
  ): Promise<{ inp: z.output<S>; t: Target }> {
    const issues = inputIssues(kind, input);
    const ref = chargeRefSchema.safeParse(input);
    let t: Target | undefined;
    if (ref.success) {
      try {
        checkStore(ref.data.store_uid);
        t = targetOf(ref.data, await find(ref.data), kind);
        checkTerminal(ref.data.store_uid, t.device, ref.data.device_name === undefined);
        if (kind === 'refund') checkRefundItems(input, t);
      } catch (err) {
        if (!issues.length || !(err instanceof MypayError)) throw err;
        merged(issues, err.fieldsAtFault());
      }
    }
    if (issues.length) throw new ValidationError(issues);
    // The charge reference is part of every input schema: a valid input always has one.
    if (!t) throw new ValidationError(ref.success ? [] : toValidationIssues(ref.error.issues));
    return { inp: parseOrThrow(schema, input), t };
  }

  /** uid + key + device + order for a refund/reprint, from our charge record or given explicitly. */
  function targetOf(ref: ChargeRef, charge: StoredOperation | null, kind: Exclude<OperationKind, 'charge'>): Target {
    const needOrderCost = kind === 'refund';
    if (charge) {
      if (!charge.uid || !charge.key) throw chargeNotPaid(ref.order_id ? 'order_id' : 'uid', charge.order_id ?? ref.order_id ?? ref.uid ?? charge.id, charge.state, kind === 'refund' ? 'refund' : 'reprint');
      return { charge, uid: charge.uid, key: charge.key, device: ref.device_name ?? charge.device, orderId: charge.order_id!, orderCost: charge.cost! };
    }
    if (!ref.uid || !ref.key) throw fieldError(ref.order_id ? 'order_id' : 'uid', 'no charge of ours matches; give uid and key of the charge');
    if (!ref.device_name) throw fieldError('device_name', 'is required when the charge was not made through this orchestrator');
    if (needOrderCost && (!ref.order_id || ref.order_cost === undefined)) {
      throw fieldError(ref.order_id ? 'order_cost' : 'order_id', 'is required to follow up a refund of a charge not made through this orchestrator');
    }
    return { charge: null, uid: ref.uid, key: ref.key, device: ref.device_name, orderId: ref.order_id, orderCost: ref.order_cost === undefined ? undefined : Number(ref.order_cost) };
  }

  function chargeCreate(input: ChargeRequestInput, lane: Lane = 'live'): CreateOperation {
    const parsed = chargeRequestSchema.safeParse(input);
    if (!parsed.success) {
      // Every bad field at once: a store not configured too.
      const issues = toValidationIssues(parsed.error.issues);
      const { store_uid: store, device_name: device } = (input ?? {}) as { store_uid?: unknown; device_name?: unknown };
      if (typeof store === 'string' && allowed && !allowed.includes(store)) merged(issues, [{ field: 'store_uid', message: `store ${store} is not configured` }]);
      else if (typeof store === 'string' && typeof device === 'string') {
        const why = terminalIssue(store, device);
        if (why) merged(issues, [{ field: 'device_name', message: why }]);
      }
      throw new ValidationError(issues);
    }
    const req = parsed.data;
    checkStore(req.store_uid);
    checkTerminal(req.store_uid, req.device_name);
    return {
      id: operationId('charge', req.store_uid, req.order_id),
      fingerprint: fingerprint(req),
      lane,
      store: req.store_uid,
      device: req.device_name,
      fields: { kind: 'charge', order_id: req.order_id, cost: amountValue(req.cost), req: storedRequest(req) },
    };
  }

  /** A reprint's record; without a caller id, the id is derived from the charge, options and minute. */
  function reprintCreate(kind: 'reprint_invoice' | 'reprint_signature', reprintId: string | undefined, req: { store_uid: string; key: string }, t: Target): CreateOperation {
    const { key: _key, ...stored } = req;
    const ref = reprintId ?? `${t.uid}.${fingerprint(stored).slice(0, 8)}.${Math.floor(core.now() / 60_000)}`;
    return {
      id: operationId(kind, req.store_uid, ref),
      fingerprint: fingerprint(stored),
      lane: 'live',
      store: req.store_uid,
      device: t.device,
      parent: t.charge?.id,
      fields: { kind, order_id: t.orderId, uid: t.uid, key: t.key, req: storedRequest(stored), charge: t.charge?.id, ref },
    };
  }

  return {
    core,
    async enqueueCharge(input, opts = {}) {
      return enqueueOperation(core, chargeCreate(input, opts.lane), 'order_id');
    },

    enqueueCharges(inputs, opts = {}) {
      return enqueueEach(core, inputs, 'order_id', (input) => chargeCreate(input, opts.lane));
    },

    async enqueueRefund(input) {
      const { inp, t } = await prepare('refund', refundInputSchema, input);
      return enqueueOperation(core, refundCreate(inp, t), 'refund_id');
    },

    async enqueueRefunds(inputs) {
      // Resolve every charge named by order_id in one pipeline; each refund keeps its own error.
      const byOrder = inputs.map((input) => {
        const ref = chargeRefSchema.safeParse(input);
        return ref.success && ref.data.order_id && (!allowed || allowed.includes(ref.data.store_uid)) ? operationId('charge', ref.data.store_uid, ref.data.order_id) : null;
      });
      const charges = await core.store.getMany(byOrder.filter((x): x is string => x !== null));
      const chargeById = new Map(charges.filter((c): c is StoredOperation => c !== null).map((c) => [c.id, c]));
      return enqueueEach(core, inputs, 'refund_id', async (input, i) => {
        const id = byOrder[i];
        const { inp, t } = await prepare('refund', refundInputSchema, input, (ref) => (id ? Promise.resolve(chargeById.get(id) ?? null) : resolveCharge(ref)));
        return refundCreate(inp, t);
      });
    },

    async enqueueInvoiceReprint(input) {
      const { inp, t } = await prepare('reprint_invoice', invoiceReprintInputSchema, input);
      const req = parseOrThrow(reprintInvoiceRequestSchema, { store_uid: inp.store_uid, device_name: t.device, uid: t.uid, key: t.key, type: inp.type, print_type: inp.print_type });
      return enqueueOperation(core, reprintCreate('reprint_invoice', inp.reprint_id, req, t), 'reprint_id');
    },

    async enqueueSignatureReprint(input) {
      const { inp, t } = await prepare('reprint_signature', signatureReprintInputSchema, input);
      const req = parseOrThrow(reprintSignatureRequestSchema, { store_uid: inp.store_uid, device_name: t.device, uid: t.uid, key: t.key, receipt_type: inp.receipt_type });
      return enqueueOperation(core, reprintCreate('reprint_signature', inp.reprint_id, req, t), 'reprint_id');
    },

    async getOperation(id) {
      const op = await core.store.get(id);
      return op ? toRecord(op) : null;
    },

    async getPayment(storeUid, orderId) {
      const op = await core.store.get(operationId('charge', storeUid, orderId));
      return op ? toRecord(op) : null;
    },

    async getOrder(storeUid, orderId) {
      const charge = await core.store.get(operationId('charge', storeUid, orderId));
      if (!charge) return null;
      const children = (await core.store.getMany(await core.store.children(charge.id)))
        .filter((c): c is StoredOperation => c !== null)
        .sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1))
        .map(toRecord);
      return { payment: toRecord(charge), refunds: children.filter((c) => c.kind === 'refund'), reprints: children.filter((c) => c.kind !== 'refund') };
    },

    async waitForFinal(id, { timeoutMs, signal }) {
      const op = await events().waitForFinal(id, timeoutMs, signal);
      return op ? toRecord(op) : null;
    },

    eventTail: events,

    async cancel(id) {
      const op = await core.store.get(id);
      if (!op) return null;
      checkStore(op.store);
      const r = await cancelOperation(core, op);
      if (!r.ok) throw new NotCancellableError(id, r.state, r.why);
      return toRecord(r.operation);
    },

    subscribe: (handler, filter) => events().subscribe(handler, filter),

    async listEvents({ store_uid: store, after, limit = 100, types }) {
      checkStore(store);
      const sid = after === undefined ? undefined : streamIdOf(after);
      if (sid === null) throw fieldError('after', 'is not an event id (evt_…)');
      return core.events.page(store, { after: sid, limit, types: types ? new Set(types) : undefined });
    },

    async close() {
      await tail?.close();
      await core.close();
    },
  };
}

/**
 * Prepares each input (its own error if that fails), then enqueues the prepared ones together;
 * one outcome per input, in order.
 */
async function enqueueEach<T>(core: Core, inputs: readonly T[], keyField: string, prepare: (input: T, i: number) => CreateOperation | Promise<CreateOperation>): Promise<EnqueueOutcome[]> {
  const outcomes: (EnqueueOutcome | null)[] = [];
  const items: { create: CreateOperation; keyField: string }[] = [];
  const slots: number[] = [];
  for (const [i, input] of inputs.entries()) {
    try {
      items.push({ create: await prepare(input, i), keyField });
      slots.push(i);
      outcomes.push(null);
    } catch (err) {
      outcomes.push({ ok: false, error: err as Error });
    }
  }
  const done = await enqueueOperations(core, items);
  done.forEach((o, j) => (outcomes[slots[j]!] = o));
  return outcomes as EnqueueOutcome[];
}

type Target = { charge: StoredOperation | null; uid: string; key: string; device: string; orderId: string | undefined; orderCost: number | undefined };
type ChargeRef = z.output<typeof chargeRefSchema>;

/** The refund's record and gateway payload (the charge `key` kept out of the stored payload). */
function refundCreate(inp: z.output<typeof refundInputSchema>, t: Target): CreateOperation {
  const req = parseOrThrow(refundRequestSchema, {
    store_uid: inp.store_uid, uid: t.uid, key: t.key, cost: inp.cost, device_name: t.device,
    items: inp.items, invoice_state: inp.invoice_state, receipt_type: inp.receipt_type,
  });
  const cost = amountValue(req.cost);
  const { key: _key, ...stored } = req;
  return {
    id: operationId('refund', inp.store_uid, inp.refund_id),
    fingerprint: fingerprint({ ...stored, order_id: t.orderId }),
    lane: inp.lane,
    store: inp.store_uid,
    device: t.device,
    reserveOn: t.charge ? { chargeId: t.charge.id, amount: cost } : undefined,
    parent: t.charge?.id,
    fields: {
      kind: 'refund', order_id: t.orderId, cost, uid: t.uid, key: t.key, req: storedRequest(stored),
      charge: t.charge?.id, ref: inp.refund_id, batch: inp.batch_id, order_cost: t.orderCost,
    },
  };
}

/** The refund's items (when they parse) against its charge's (when ours). */
function checkRefundItems(input: unknown, t: Target): void {
  const items = itemsSchema.safeParse((input as { items?: unknown } | null)?.items);
  if (items.success && items.data && t.charge) checkRefundItemNames(items.data, t.charge);
}

/** 「退款項目之項目名稱必須和交易時之產品項目名稱相同」: refund items must be items of the charge. */
function checkRefundItemNames(items: readonly { name: string }[], charge: StoredOperation): void {
  const charged = (JSON.parse(charge.req) as { items?: { name: string }[] }).items;
  if (!charged) return;
  const names = new Set(charged.map((i) => i.name));
  const i = items.findIndex((it) => !names.has(it.name));
  if (i >= 0) throw fieldError(`items.${i}.name`, `"${items[i]!.name}" is not an item of the charge`);
}
