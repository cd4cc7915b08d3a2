/**
 * Merchant events as stored (docs/EVENTS.md): the state-changing scripts append each event to one
 * stream, with what routes it (type, store, operation, state) and the record as it was right after
 * the change. Event ids are the stream ids, so they order the events of one operation — and of one
 * store — as the changes happened. A store's feed is that stream filtered as it is read.
 */
import type { Redis, Cluster } from 'ioredis';
import { defineScripts } from './scripts.js';
import { isEventType, type EventType } from '../domain/events.js';
import { isFinalState, type OperationState } from '../domain/operation/states.js';
import { idPart, keysFor, type Keys } from './keys.js';
import { publicRecord, storedOperationSchema, type OperationRecord } from './record.js';

/** What a merchant receives: the event feed's items and the webhook bodies. */
export interface MypayEvent {
  /** `evt_<stream id>`: unique, and the order of events of one store. The webhook-id of its deliveries. */
  id: string;
  type: EventType;
  created_at: string;
  store_uid: string;
  data: { object: OperationRecord | Record<string, unknown> };
}

/** One entry of the event stream: what routes the event, and the entry itself to render its body from. */
export interface EventPointer {
  /** Stream id (without `evt_`). */
  sid: string;
  type: EventType;
  store: string;
  op: string;
  state: string;
  /** The entry's fields as read (absent: read again by id). */
  raw?: string[];
}

export const EVENT_PREFIX = 'evt_';

/** One page of a feed: the events, the id of the last entry looked at (the next `after`; null when none was), and whether more may follow. */
export interface EventPage {
  events: MypayEvent[];
  cursor: string | null;
  more: boolean;
}

/** `evt_1732771200000-0` → `1732771200000-0`; null when it is not an event id. */
export function streamIdOf(eventId: string): string | null {
  const m = /^evt_(\d{1,16}-\d{1,16})$/.exec(eventId);
  return m ? m[1]! : null;
}

type StreamEntry = [id: string, fields: string[]];

function fieldsOf(raw: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i]!] = raw[i + 1]!;
  return out;
}

export function toPointer([sid, raw]: StreamEntry): EventPointer | null {
  const f = fieldsOf(raw);
  if (!f.type || !isEventType(f.type) || !f.store) return null;
  return { sid, type: f.type, store: f.store, op: f.op ?? '', state: f.state ?? '', raw };
}

/** Whether the pointed-at operation reached a final state with this event (waiters answer on it). */
export function isFinalPointer(p: EventPointer): boolean {
  return p.state !== '' && isFinalState(p.state as OperationState);
}

export class EventStore {
  readonly keys: Keys;

  constructor(readonly redis: Redis | Cluster, tag: string, readonly retentionMs = 90 * 86_400_000) {
    defineScripts(redis);
    this.keys = keysFor(tag);
  }

  /**
   * Sets `status = complete` on `hashKey` once and writes the event announcing it in the same
   * script (lua/complete.lua). True when this call completed it.
   */
  async completeOnce(hashKey: string, e: { type: EventType; store: string; id: string; object: Record<string, unknown>; now: number; fields?: Record<string, string | number> }): Promise<boolean> {
    const fields = Object.entries(e.fields ?? {}).flatMap(([k, v]) => [k, String(v)]);
    return (await this.redis.mypayComplete(hashKey, this.keys.events, e.type, e.store, e.id, JSON.stringify(e.object), e.now, this.retentionMs, ...fields)) === 1;
  }

  /** The event as a merchant sees it, from its stream entry. */
  render(store: string, [sid, raw]: StreamEntry): MypayEvent | null {
    const f = fieldsOf(raw);
    if (!f.type || !isEventType(f.type)) return null;
    let object: MypayEvent['data']['object'] = {};
    try {
      const parsed = JSON.parse(f.obj ?? '{}') as Record<string, unknown>;
      // Objects that are not operations (a refund batch) are stored as shown.
      if (!f.type.startsWith('charge.') && !f.type.startsWith('refund.') && !f.type.startsWith('reprint.') && !f.type.startsWith('operation.')) {
        return { id: `${EVENT_PREFIX}${sid}`, type: f.type, created_at: new Date(Number(f.at ?? sid.split('-')[0])).toISOString(), store_uid: store, data: { object: parsed } };
      }
      // `req` (the payload with customer fields) is not copied into events: the operation's own
      // fields (terminal, order, amount, uid) make up its `request`.
      const rec = storedOperationSchema.safeParse({ req: '{}', ...parsed });
      // A record that did not parse (a poison record moved to review) is shown as far as it goes.
      object = rec.success ? publicRecord(rec.data) : { id: f.op, state: parsed.state, review: parsed.review, store_uid: store };
    } catch {
      object = { id: f.op, store_uid: store };
    }
    const at = Number(f.at ?? sid.split('-')[0]);
    return { id: `${EVENT_PREFIX}${sid}`, type: f.type, created_at: new Date(at).toISOString(), store_uid: store, data: { object } };
  }

  /** One event by id, or null (unknown, or trimmed after the retention). */
  async get(store: string, eventId: string): Promise<MypayEvent | null> {
    const sid = streamIdOf(eventId);
    if (!sid) return null;
    const rows = (await this.redis.xrange(this.keys.events, sid, sid)) as StreamEntry[];
    const p = rows[0] ? toPointer(rows[0]) : null;
    if (!p || p.store !== store) return null;
    return (await this.bodies([p]))[0] ?? null;
  }

  /** A store's stream of event bodies as written before one stream carried them (read-only, until it expires). */
  private legacyStoreStream(store: string): string {
    return `${this.keys.events}:${idPart(store)}`;
  }

  /** A store's events after `after` (exclusive), oldest first: {@link pageAll} for one store. */
  page(store: string, o: { after?: string; limit: number; types?: ReadonlySet<string>; scan?: number }): Promise<EventPage> {
    return this.pageAll({ ...o, stores: new Set([store]) });
  }

  /**
   * Events after `after` (exclusive), oldest first. With a filter (types, stores) at most `scan`
   * entries are looked at per call (bounded cost), so a page may hold fewer than `limit` events while
   * the cursor still moves on: read on while `more`.
   */
  async pageAll(o: { after?: string; limit: number; types?: ReadonlySet<string>; stores?: ReadonlySet<string>; scan?: number }): Promise<EventPage> {
    const start = o.after ? `(${o.after}` : '-';
    const count = o.types || o.stores ? Math.max(o.limit, o.scan ?? 1000) : o.limit;
    const rows = (await this.redis.xrange(this.keys.events, start, '+', 'COUNT', count)) as StreamEntry[];
    const wanted: EventPointer[] = [];
    let last: string | null = null;
    for (const row of rows) {
      last = row[0];
      const p = toPointer(row);
      if (p && (!o.types || o.types.has(p.type)) && (!o.stores || o.stores.has(p.store))) wanted.push(p);
      if (wanted.length >= o.limit) break;
    }
    const events = await this.bodies(wanted);
    const more = rows.length === count || (last !== null && last !== rows[rows.length - 1]?.[0]);
    return { events, cursor: last ? `${EVENT_PREFIX}${last}` : null, more };
  }

  /**
   * The events behind pointers, in their order: rendered from the entries read (one pipelined read for
   * any without). An entry written before the event stream carried the record (a pointer only: no
   * `obj`) is read from the store's stream of that time, `{tag}:events:<store>`, kept until it expires.
   */
  async bodies(pointers: readonly EventPointer[]): Promise<MypayEvent[]> {
    const missing = pointers.filter((p) => !p.raw || fieldsOf(p.raw).obj === undefined);
    const read = new Map<string, string[]>();
    if (missing.length) {
      const pipe = this.redis.pipeline();
      for (const p of missing) pipe.xrange(p.raw ? this.legacyStoreStream(p.store) : this.keys.events, p.sid, p.sid);
      const res = (await pipe.exec()) ?? [];
      res.forEach(([err, rows], i) => {
        const row = (rows as StreamEntry[] | null)?.[0];
        if (!err && row) read.set(missing[i]!.sid, row[1]);
      });
    }
    const out: MypayEvent[] = [];
    for (const p of pointers) {
      const raw = read.get(p.sid) ?? p.raw;
      const e = raw ? this.render(p.store, [p.sid, raw]) : null;
      if (e) out.push(e);
    }
    return out;
  }

  /** The newest stream id of the event stream ('0-0' when empty): where a live tail starts. */
  async lastId(): Promise<string> {
    const rows = (await this.redis.xrevrange(this.keys.events, '+', '-', 'COUNT', 1)) as StreamEntry[];
    return rows[0]?.[0] ?? '0-0';
  }
}
