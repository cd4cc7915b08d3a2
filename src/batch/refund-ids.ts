/**
 * The refund id of a row that names none: the idempotency key of its refund, so it must be the same
 * for the same refund whatever file it comes in. A re-export of a file (CRLF instead of LF, columns
 * or rows in another order, a BOM, trailing blank lines) run under a new batch id must map every row
 * to the refund id it had the first time, so the orchestrator's idempotency (same refund id + same
 * parameters → the existing operation) recognises it and nothing is refunded twice.
 *
 * The key of a row is what the refund *is*: store, order (`order_id`, else the charge's `uid`),
 * amount and the optional `refund_ref` (a finance reference). Rows of one file with the same key are
 * numbered by occurrence (1, 2, …), so two genuinely separate equal refunds of one order stay two.
 * Equal-key rows that differ in other columns (items, device, receipt type…) are numbered in a fixed
 * order of those columns rather than by position, so reordering the rows never swaps their ids.
 *
 * Neither the batch id nor the row number nor the file's bytes take part. The id is a readable head
 * (order, amount, occurrence) and a hash of all the parts, 64 characters at most.
 */
import { createHash } from 'node:crypto';
import type { RawRow } from './types.js';

/** The parts of a row's key, normalised (trimmed text, amounts without leading zeros). */
export interface RowKey {
  store: string;
  /** `order_id`, when the row has one. */
  order?: string;
  /** The charge's gateway `uid`, for rows without `order_id`. */
  uid?: string;
  cost: string;
  /** `refund_ref`, when given. */
  ref?: string;
}

/** Columns that make the key (or name the refund outright): not used to order equal-key rows. */
const KEY_COLUMNS = new Set(['store_uid', 'order_id', 'uid', 'cost', 'refund_ref', 'refund_id']);

const MAX_ID = 64;
const HASH_CHARS = 16;
const UNREADABLE = /[^A-Za-z0-9_-]+/g;

function text(v: unknown): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint') return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

/** `010`, `10` and 10 are the same amount; anything else (an invalid row) is kept as written. */
function amount(v: unknown): string {
  const s = text(v) ?? '';
  return /^\d+$/.test(s) ? s.replace(/^0+(?=\d)/, '') : s;
}

export function rowKey(values: Readonly<Record<string, unknown>>, defaultStore?: string): RowKey {
  const order = text(values.order_id);
  return {
    store: text(values.store_uid) ?? defaultStore ?? '',
    order,
    uid: order === undefined ? text(values.uid) : undefined,
    cost: amount(values.cost),
    ref: text(values.refund_ref),
  };
}

/** The refund id of the `occurrence`-th row (from 1) of a file with this key. */
export function derivedRefundId(key: RowKey, occurrence: number): string {
  const who = key.order !== undefined ? ['order', key.order] : ['uid', key.uid ?? ''];
  const hash = createHash('sha256')
    .update(JSON.stringify(['batch-row/1', key.store, ...who, key.cost, key.ref ?? null, occurrence]))
    .digest('hex')
    .slice(0, HASH_CHARS);
  const name = (key.order ?? `uid-${key.uid ?? ''}`).replace(UNREADABLE, '_').slice(0, 24);
  const head = `${name}.${key.cost.replace(UNREADABLE, '_').slice(0, 12)}.${occurrence}`;
  return `${head.slice(0, MAX_ID - HASH_CHARS - 1)}.${hash}`;
}

/** JSON with object keys sorted: equal values, equal text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The other columns of a row, canonical (items parsed when given as JSON text): orders equal-key rows. */
function content(values: Readonly<Record<string, unknown>>): string {
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    if (KEY_COLUMNS.has(k)) continue;
    let value = v;
    if (k === 'items' && typeof v === 'string') {
      try {
        value = JSON.parse(v);
      } catch {
        value = v.trim();
      }
    } else if (typeof v === 'string' || typeof v === 'number') {
      value = String(v).trim();
    }
    rest[k] = value;
  }
  return canonical(rest);
}

/**
 * The derived refund id of every row without a `refund_id` (row number → id). Rows that name their
 * own refund id take no part in the numbering.
 */
export function assignRefundIds(rows: readonly RawRow[], defaultStore?: string): Map<number, string> {
  const groups = new Map<string, { raw: RawRow; key: RowKey }[]>();
  for (const raw of rows) {
    if (text(raw.values.refund_id) !== undefined) continue;
    const key = rowKey(raw.values, defaultStore);
    const group = JSON.stringify([key.store, key.order !== undefined, key.order ?? key.uid ?? '', key.cost, key.ref ?? null]);
    const list = groups.get(group);
    if (list) list.push({ raw, key });
    else groups.set(group, [{ raw, key }]);
  }
  const ids = new Map<number, string>();
  for (const list of groups.values()) {
    if (list.length > 1) {
      const sig = new Map(list.map((m) => [m.raw.row, content(m.raw.values)]));
      list.sort((a, b) => {
        const x = sig.get(a.raw.row)!;
        const y = sig.get(b.raw.row)!;
        return x < y ? -1 : x > y ? 1 : a.raw.row - b.raw.row;
      });
    }
    list.forEach((m, i) => ids.set(m.raw.row, derivedRefundId(m.key, i + 1)));
  }
  return ids;
}
