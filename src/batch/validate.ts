/**
 * Validates every row of a batch before anything is enqueued (issue #6): field rules of the spec
 * (through the domain schemas), refund ids unique in the file, the charge known to us and paid, and
 * the refundable balance of each order across all its rows of the file, against our charge record
 * (`cost − refunded − reserved`). Reads Redis (a few pipelines), never writes.
 *
 * A row's refund id is its `refund_id`, else derived from store, order, amount and `refund_ref`
 * (refund-ids.ts), the same for the same refund in any export of the file under any batch id.
 * Rows whose refund already exists with the same parameters are `existing`: they pass without
 * touching the balance, which already holds them. `submittedBefore` tells a rerun of this batch
 * from a refund made by an earlier batch (or outside any batch).
 */
import { z } from 'zod';
import type { Core } from '../queues/core.js';
import { operationId } from '../store/keys.js';
import { refundRequestSchema } from '../domain/schemas/requests/refund.js';
import { itemsSchema } from '../domain/schemas/requests/item.js';
import { amountSchema, requiredText, storeUidSchema, textSchema } from '../domain/schemas/requests/fields.js';
import { refundInvoiceStateSchema } from '../domain/enums/refund-invoice-state.js';
import { receiptTypeSchema } from '../domain/enums/receipt-type.js';
import { toValidationIssues } from '../domain/validation.js';
import { fingerprint } from '../producers/fingerprint.js';
import type { RefundInput } from '../producers/operations.producer.js';
import { assignRefundIds } from './refund-ids.js';
import type { ParsedFile } from './parse.js';
import type { RawRow, RowIssue } from './types.js';

const hasControl = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20);
const refundIdSchema = textSchema({ required: true, max: 64 }).refine((s) => s.trim() === s && !hasControl(s), 'must have no surrounding spaces or control characters');

const rowSchema = z
  .object({
    store_uid: storeUidSchema.optional(),
    order_id: requiredText(50).optional(),
    uid: requiredText().optional(),
    key: requiredText().optional(),
    cost: amountSchema,
    order_cost: amountSchema.optional(),
    device_name: requiredText().optional(),
    items: itemsSchema.optional(),
    invoice_state: refundInvoiceStateSchema.optional(),
    receipt_type: receiptTypeSchema.optional(),
    refund_id: refundIdSchema.optional(),
    refund_ref: requiredText(100).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.order_id === undefined && v.uid === undefined) ctx.addIssue({ code: 'custom', path: ['order_id'], message: 'is required (or uid and key)' });
    if (v.uid !== undefined && v.key === undefined) ctx.addIssue({ code: 'custom', path: ['key'], message: 'is required with uid' });
  });
type RowValues = z.output<typeof rowSchema>;

export interface PlannedRow {
  row: number;
  refund_id: string;
  op_id: string;
  order_id?: string;
  cost: number;
  device: string;
  /** The refund already exists with these parameters (a rerun, or a re-export): not enqueued again, not counted twice. */
  existing: boolean;
  /** State of the existing refund (a `queued` one is enqueued again: its job may be missing). */
  existingState?: string;
  /** The existing refund was made by another batch (or outside any batch): this row was submitted before. */
  submittedBefore: boolean;
  /** Batch of the existing refund, when it came from one. */
  existingBatch?: string;
  /** What the producer is given. */
  input: RefundInput;
}

export interface ValidationReport {
  planned: PlannedRow[];
  issues: RowIssue[];
  /** Rows with at least one issue. */
  invalidRows: Set<number>;
  /** Every row number of the file with the order (and refund id) it names, for the results of skipped rows. */
  rows: { row: number; order_id?: string; refund_id?: string }[];
}

export interface ValidateOptions {
  batchId: string;
  /** Store of rows without `store_uid`; required unless every row has one. */
  storeUid?: string;
  /** Store uids the caller may act for. Unset: any. */
  stores?: readonly string[];
  /**
   * Refund ids an earlier run of this batch (same id, same file) planned for its rows: they win
   * over derived ones, so a batch planned before the derivation changed resumes with its own ids.
   */
  plannedRefundIds?: ReadonlyMap<number, string>;
}

interface ChargeInfo {
  id: string;
  state: string;
  cost: number;
  available: number;
  uid: string;
  hasKey: boolean;
  device: string;
  orderId: string;
}

const REFUNDABLE = new Set(['paid', 'partially_refunded']);
const num = (s: string | null | undefined) => Number(s ?? 0) || 0;

function parseItemsCell(raw: RawRow, issues: RowIssue[]): Record<string, unknown> {
  const values = { ...raw.values };
  if (typeof values.items === 'string') {
    try {
      values.items = JSON.parse(values.items);
    } catch {
      issues.push({ row: raw.row, field: 'items', message: 'must be a JSON array of items ([{"id","name","cost","amount","total"}])' });
      delete values.items;
    }
  }
  return values;
}

export async function validateBatch(core: Core, parsed: ParsedFile, opts: ValidateOptions): Promise<ValidationReport> {
  const issues: RowIssue[] = [...parsed.issues];
  const add = (row: number, field: string, message: string) => issues.push({ row, field, message });

  // 1. Field rules, row by row.
  const good: { raw: RawRow; v: RowValues; values: Record<string, unknown>; store: string; refundId: string; derived: boolean }[] = [];
  const rows: ValidationReport['rows'] = [];
  const derivedIds = assignRefundIds(parsed.rows, opts.storeUid);
  const derivedId = (row: number) => opts.plannedRefundIds?.get(row) ?? derivedIds.get(row)!;
  for (const raw of parsed.rows) {
    const order = typeof raw.values.order_id === 'string' || typeof raw.values.order_id === 'number' ? String(raw.values.order_id) : undefined;
    const explicitId = raw.values.refund_id === undefined ? undefined : String(raw.values.refund_id);
    rows.push({ row: raw.row, order_id: order, refund_id: explicitId ?? derivedId(raw.row) });
    const before = issues.length;
    const values = parseItemsCell(raw, issues);
    const res = rowSchema.safeParse(values);
    if (!res.success) for (const i of toValidationIssues(res.error.issues)) add(raw.row, i.field, i.message);
    const store = res.success ? (res.data.store_uid ?? opts.storeUid) : undefined;
    if (res.success && !store) add(raw.row, 'store_uid', 'is required (several merchants are configured)');
    if (store && opts.stores && !opts.stores.includes(store)) add(raw.row, 'store_uid', `store ${store} is not configured`);
    if (issues.length === before && res.success && store) {
      good.push({ raw, v: res.data, values, store, refundId: res.data.refund_id ?? derivedId(raw.row), derived: res.data.refund_id === undefined });
    }
  }

  // 2. Refund ids: the idempotency key of each refund, so one per row.
  const firstRow = new Map<string, number>();
  for (const r of rows) {
    if (!r.refund_id) continue;
    const first = firstRow.get(r.refund_id);
    if (first === undefined) firstRow.set(r.refund_id, r.row);
    else add(r.row, 'refund_id', `${r.refund_id} duplicates row ${first}: each refund needs its own refund_id`);
  }
  const dupRows = new Set(issues.filter((i) => i.field === 'refund_id').map((i) => i.row));
  const candidates = good.filter((g) => !dupRows.has(g.raw.row));

  // 3. Charges (by order_id, else by the gateway uid) and existing refunds, in two pipelines.
  const redis = core.redis;
  const k = core.store.keys;
  const byUid = candidates.filter((g) => g.v.order_id === undefined);
  const uidPipe = redis.pipeline();
  for (const g of byUid) uidPipe.get(k.uid(g.store, g.v.uid!));
  const uidRes = byUid.length ? ((await uidPipe.exec()) ?? []) : [];
  const chargeIdOf = new Map<number, string | undefined>();
  byUid.forEach((g, i) => chargeIdOf.set(g.raw.row, (uidRes[i]?.[1] as string | null) ?? undefined));
  for (const g of candidates) if (g.v.order_id !== undefined) chargeIdOf.set(g.raw.row, operationId('charge', g.store, g.v.order_id));

  const chargeIds = [...new Set([...chargeIdOf.values()].filter((x): x is string => Boolean(x)))];
  const opIds = candidates.map((g) => operationId('refund', g.store, g.refundId));
  const pipe = redis.pipeline();
  for (const id of chargeIds) pipe.hmget(k.op(id), 'state', 'cost', 'refunded', 'reserved', 'uid', 'key', 'device', 'order_id', 'kind');
  for (const id of opIds) pipe.hmget(k.op(id), 'state', 'fp', 'batch');
  const res = (await pipe.exec()) ?? [];
  const charges = new Map<string, ChargeInfo>();
  chargeIds.forEach((id, i) => {
    const [state, cost, refunded, reserved, uid, key, device, orderId, kind] = (res[i]?.[1] ?? []) as (string | null)[];
    if (!state || kind !== 'charge') return;
    charges.set(id, { id, state, cost: num(cost), available: num(cost) - num(refunded) - num(reserved), uid: uid ?? '', hasKey: Boolean(key), device: device ?? '', orderId: orderId ?? '' });
  });
  const existingOps = opIds.map((_, i) => (res[chargeIds.length + i]?.[1] ?? []) as (string | null)[]);

  // 4. Each row against its charge; balances accumulate per charge in file order.
  const planned: PlannedRow[] = [];
  const spent = new Map<string, { total: number; rows: number[] }>();
  candidates.forEach((g, i) => {
    const { raw, v } = g;
    const row = raw.row;
    const chargeId = chargeIdOf.get(row);
    const charge = chargeId ? charges.get(chargeId) : undefined;
    const [opState, opFp, opBatch] = existingOps[i]!;
    let uid: string;
    let device: string;
    let orderId: string | undefined;
    if (charge) {
      if (v.uid !== undefined && charge.uid && v.uid !== charge.uid) return add(row, 'uid', `does not match the charge of order ${charge.orderId} (uid ${charge.uid})`);
      if (!opState && !REFUNDABLE.has(charge.state)) return add(row, 'order_id', `the charge of order ${charge.orderId} is ${charge.state}; only paid charges can be refunded`);
      if (!charge.uid || !charge.hasKey) return add(row, 'order_id', `the charge is ${charge.state}: it has no gateway uid yet`);
      uid = charge.uid;
      device = v.device_name ?? charge.device;
      orderId = charge.orderId;
    } else if (v.uid !== undefined && v.key !== undefined && v.device_name !== undefined && v.order_id !== undefined && v.order_cost !== undefined) {
      // A charge not made through us: the gateway checks uid + key and the balance.
      uid = v.uid;
      device = v.device_name;
      orderId = v.order_id;
    } else if (v.order_id !== undefined) {
      return add(row, 'order_id', `unknown order ${v.order_id}: no charge of ours (for a charge made elsewhere give uid, key, device_name and order_cost)`);
    } else {
      return add(row, 'uid', `unknown uid ${v.uid}: no charge of ours (for a charge made elsewhere give order_id, key, device_name and order_cost)`);
    }
    const req = refundRequestSchema.safeParse({
      store_uid: g.store, uid, key: v.key ?? 'x', cost: g.values.cost, device_name: device,
      items: g.values.items, invoice_state: g.values.invoice_state, receipt_type: g.values.receipt_type,
    });
    if (!req.success) {
      for (const iss of toValidationIssues(req.error.issues)) add(row, iss.field, iss.message);
      return;
    }
    const { key: _key, ...stored } = req.data;
    const fp = fingerprint({ ...stored, order_id: orderId });
    const cost = Number(req.data.cost);
    if (opState && opFp !== fp) {
      if (!g.derived) return add(row, 'refund_id', `${g.refundId} is already used by a refund with other parameters (${opState})`);
      return add(row, 'refund_id', `${g.refundId} (derived from store, order, amount${v.refund_ref === undefined ? '' : ', refund_ref'}) is already used by a refund with other parameters (${opState}${opBatch ? `, batch ${opBatch}` : ''}): if this row is another refund, give it a refund_ref`);
    }
    const existing = Boolean(opState);
    if (!existing && charge) {
      const s = spent.get(charge.id) ?? { total: 0, rows: [] };
      if (s.total + cost > charge.available) {
        const all = [...s.rows, row];
        return add(row, 'cost', `refunds of order ${charge.orderId} in this file add up to ${s.total + cost} (row${all.length > 1 ? 's' : ''} ${all.join(', ')}), above its refundable balance ${Math.max(0, charge.available)}`);
      }
      s.total += cost;
      s.rows.push(row);
      spent.set(charge.id, s);
    }
    const input: RefundInput = {
      store_uid: g.store, refund_id: g.refundId, cost: g.values.cost as string | number, lane: 'bulk', batch_id: opts.batchId,
      order_id: orderId, uid: charge ? undefined : v.uid, key: charge ? undefined : v.key,
      order_cost: charge ? undefined : v.order_cost, device_name: v.device_name,
      items: g.values.items as RefundInput['items'], invoice_state: g.values.invoice_state as RefundInput['invoice_state'], receipt_type: g.values.receipt_type as RefundInput['receipt_type'],
    };
    planned.push({
      row, refund_id: g.refundId, op_id: opIds[i]!, order_id: orderId, cost, device, existing, existingState: opState ?? undefined,
      submittedBefore: existing && opBatch !== opts.batchId, existingBatch: opBatch ?? undefined, input,
    });
  });

  issues.sort((a, b) => a.row - b.row);
  const invalidRows = new Set(issues.filter((x) => x.row > 0).map((x) => x.row));
  return { planned: planned.filter((p) => !invalidRows.has(p.row)), issues, invalidRows, rows };
}
