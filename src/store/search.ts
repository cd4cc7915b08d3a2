/**
 * Search over the operations (docs/CORE.md › Search): newest first, a cursor, and a bounded cost per
 * page whatever the data size. The indexes are zsets the state-changing scripts keep
 * (lua/lib/effects.lua): per store and family, every operation, by state and by terminal, scored by
 * `ixs` (created ms × 1024 + a sequence: unique, so the cursor is one number and pages stay stable
 * under concurrent writes — a new operation sorts before the cursor, one that changes state leaves or
 * joins a state index without moving anything else).
 *
 * A page reads one index per family (the most selective one the filters allow), at most `scan`
 * entries in all, checks the remaining filters on the records (one pipelined read) and stops at
 * `limit` matches. With rare matches a page may be short while `next` still moves on.
 */
import type { Redis, Cluster } from 'ioredis';
import type { OperationKind, OperationState } from '../domain/operation/states.js';
import { keysFor, type Keys } from './keys.js';
import { storedOperationSchema, type StoredOperation } from './record.js';

export type Family = 'charge' | 'refund' | 'reprint';

export function familyOf(kind: OperationKind): Family {
  return kind === 'charge' || kind === 'refund' ? kind : 'reprint';
}

export interface SearchQuery {
  store: string;
  /** Kinds to return (all when unset). */
  kinds?: readonly OperationKind[];
  state?: OperationState;
  device?: string;
  /** Created at or after (ms). */
  createdGte?: number;
  /** Created before (ms). */
  createdLt?: number;
  /** Charges: order_id starts with. Refunds and reprints: their charge's order_id starts with. */
  orderIdPrefix?: string;
  limit: number;
  /** From a previous page's `next`. */
  cursor?: string;
  /** Index entries looked at per page, at most. Default 1 000. */
  scan?: number;
}

export interface SearchPage {
  operations: StoredOperation[];
  /** Pass as `cursor` for the next page; null: no more. */
  next: string | null;
  /** Index entries looked at (the page's cost). */
  scanned: number;
}

const SCALE = 1024;

/** Cursors are opaque to callers: the score of the last entry looked at. */
export function encodeCursor(score: number): string {
  return Buffer.from(`v1:${score}`).toString('base64url');
}

export function decodeCursor(cursor: string): number | null {
  const m = /^v1:(\d{1,20})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : null;
}

export class OperationSearch {
  readonly keys: Keys;
  private readonly base: string;

  constructor(readonly redis: Redis | Cluster, tag: string) {
    this.keys = keysFor(tag);
    this.base = `{${tag}}:ix:`;
  }

  indexKey(store: string, family: Family, by?: { state?: string; device?: string }): string {
    const k = `${this.base}${store}:${family}`;
    if (by?.state) return `${k}:s:${by.state}`;
    if (by?.device) return `${k}:d:${by.device}`;
    return k;
  }

  async page(q: SearchQuery): Promise<SearchPage> {
    const families = [...new Set((q.kinds ?? ['charge', 'refund', 'reprint_invoice', 'reprint_signature']).map(familyOf))];
    const scan = Math.max(q.limit, q.scan ?? 1_000);
    const after = q.cursor !== undefined ? decodeCursor(q.cursor) : null;
    const max = after !== null ? `(${after}` : q.createdLt !== undefined ? `(${q.createdLt * SCALE}` : '+inf';
    const min = q.createdGte !== undefined ? String(q.createdGte * SCALE) : '-inf';

    // The most selective index per family: by state or by terminal when asked (the smaller of the two when both).
    const keys = await Promise.all(families.map((f) => this.chooseIndex(q, f)));
    const per = Math.ceil(scan / keys.length);
    const pipe = this.redis.pipeline();
    for (const key of keys) pipe.zrange(key, max, min, 'BYSCORE', 'REV', 'LIMIT', 0, per, 'WITHSCORES');
    const lists = ((await pipe.exec()) ?? []).map(([err, rows]) => (err ? [] : pairs(rows as string[])));
    // Merge newest first; stop where the shortest full list ends (what lies beyond it in the others
    // may be older than what that list did not show yet).
    const floor = Math.max(...lists.map((l) => (l.length === per ? l[l.length - 1]![1] : -Infinity)));
    const merged = lists.flat().filter(([, s]) => s >= floor).sort((a, b) => b[1] - a[1]);

    const kinds = q.kinds ? new Set(q.kinds) : null;
    const operations: StoredOperation[] = [];
    let last: number | null = null;
    let scanned = 0;
    // Read the records in chunks: as many as still needed when the index answers the filters by
    // itself, larger ones when the records must be checked (a prefix, a second filter).
    const checked = q.orderIdPrefix !== undefined || (q.state !== undefined && q.device !== undefined);
    for (let i = 0; i < merged.length && operations.length < q.limit;) {
      const size = checked ? 100 : Math.max(1, q.limit - operations.length);
      const chunk = merged.slice(i, i + size);
      i += chunk.length;
      const records = await this.records(chunk.map(([id]) => id));
      for (let j = 0; j < chunk.length && operations.length < q.limit; j++) {
        scanned++;
        last = chunk[j]![1];
        const op = records[j];
        if (!op) continue; // expired (its index entry is trimmed later)
        if (kinds && !kinds.has(op.kind)) continue;
        if (q.state && op.state !== q.state) continue;
        if (q.device && op.device !== q.device) continue;
        if (q.orderIdPrefix !== undefined && !(op.order_id ?? '').startsWith(q.orderIdPrefix)) continue;
        operations.push(op);
      }
    }
    const exhausted = lists.every((l) => l.length < per) && scanned === merged.length;
    return { operations, next: exhausted || last === null ? null : encodeCursor(last), scanned };
  }

  private async chooseIndex(q: SearchQuery, family: Family): Promise<string> {
    if (q.state && q.device) {
      const [byState, byDevice] = [this.indexKey(q.store, family, { state: q.state }), this.indexKey(q.store, family, { device: q.device })];
      const [a, b] = await Promise.all([this.redis.zcard(byState), this.redis.zcard(byDevice)]);
      return a <= b ? byState : byDevice;
    }
    return this.indexKey(q.store, family, { state: q.state, device: q.device });
  }

  private async records(ids: string[]): Promise<(StoredOperation | null)[]> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.keys.op(id));
    return ((await pipe.exec()) ?? []).map(([err, raw]) => {
      const h = raw as Record<string, string> | null;
      if (err || !h?.state) return null;
      const parsed = storedOperationSchema.safeParse(h);
      return parsed.success ? parsed.data : null;
    });
  }
}

function pairs(rows: string[]): [string, number][] {
  const out: [string, number][] = [];
  for (let i = 0; i + 1 < rows.length; i += 2) out.push([rows[i]!, Number(rows[i + 1])]);
  return out;
}
