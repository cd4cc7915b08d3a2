/**
 * `GET /v1/devices`: per terminal, whether it is busy, with what, how many wait, and its last answer.
 *
 * The terminals are those configured per store (`devices` in the stores file, `MYPAY_DEVICES`),
 * listed even before their first operation, and, for a store without a list, every terminal that
 * ever took work (known from Redis). A terminal of a store with a list that is not in it (the list
 * changed) is still shown while it holds or queues work, so nothing in flight is hidden. Sorted by
 * name in natural order (A2 before A10), then store; `offset`/`limit` page through that order.
 */
import type { Core } from '../../queues/core.js';
import type { OperationRecord } from '../../store/record.js';
import type { TerminalView } from '../../store/operations.js';

export interface DeviceView {
  store_uid: string;
  device_name: string;
  /** Listed in the store's configured terminals. */
  configured: boolean;
  status: 'idle' | 'busy';
  /** The operation holding the terminal (kind/state absent only if its record has expired). */
  in_flight: ({ id: string } & Partial<Pick<OperationRecord, 'kind' | 'state' | 'order_id' | 'cost'>>) | null;
  lease_expires_at: string | null;
  waiting: number;
  /** Ids of the first waiting operations (live lane first), at most 20. */
  next_in_line: string[];
  last_answer_at: string | null;
  last_answer_code: string | null;
}

export interface DevicesQuery {
  /** Only this store. */
  storeUid?: string;
  /** Only these stores (the caller's scope). Default: every store. */
  stores?: readonly string[];
  /** Configured terminals per store; a store absent: its terminals are those seen in Redis. */
  terminals?: Readonly<Record<string, readonly string[]>>;
  offset: number;
  limit: number;
}

const natural = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });
const byName = (a: readonly [string, string], b: readonly [string, string]) => natural.compare(a[1], b[1]) || natural.compare(a[0], b[0]);

export async function devicesView(core: Core, opts: DevicesQuery): Promise<DeviceView[]> {
  const inScope = (store: string) => (!opts.stores || opts.stores.includes(store)) && (!opts.storeUid || store === opts.storeUid);
  const lists = opts.terminals ?? {};
  const pairs = new Map<string, readonly [string, string]>();
  const configured = new Set<string>();
  const member = (store: string, device: string) => `${store}|${device}`;
  for (const [store, list] of Object.entries(lists)) {
    if (!inScope(store)) continue;
    for (const device of list) {
      pairs.set(member(store, device), [store, device]);
      configured.add(member(store, device));
    }
  }
  // Seen in Redis: all of a store without a list; off-list ones of a store with a list only while they hold or queue work.
  const offList: (readonly [string, string])[] = [];
  for (const [store, device] of await core.store.terminalNames()) {
    if (!inScope(store) || pairs.has(member(store, device))) continue;
    if (lists[store]) offList.push([store, device]);
    else pairs.set(member(store, device), [store, device]);
  }
  const known = new Map<string, TerminalView>();
  for (const t of await core.store.terminalsNamed(offList)) {
    if (!t.in_flight && t.waiting === 0) continue;
    pairs.set(member(t.store_uid, t.device_name), [t.store_uid, t.device_name]);
    known.set(member(t.store_uid, t.device_name), t);
  }
  const page = [...pairs.values()].sort(byName).slice(opts.offset, opts.offset + opts.limit);
  const fetched = await core.store.terminalsNamed(page.filter(([s, d]) => !known.has(member(s, d))));
  for (const t of fetched) known.set(member(t.store_uid, t.device_name), t);
  const terminals = page.map(([s, d]) => known.get(member(s, d))!);

  const holders = await core.store.getMany(terminals.map((t) => t.in_flight).filter((id): id is string => Boolean(id)));
  const byId = new Map(holders.filter((o) => o !== null).map((o) => [o.id, o]));
  return terminals.map((t) => {
    const op = t.in_flight ? byId.get(t.in_flight) : undefined;
    return {
      store_uid: t.store_uid,
      device_name: t.device_name,
      configured: configured.has(member(t.store_uid, t.device_name)),
      status: t.in_flight ? 'busy' : 'idle',
      in_flight: t.in_flight
        ? { id: t.in_flight, kind: op?.kind, state: op?.state, order_id: op?.order_id, cost: op?.cost }
        : null,
      lease_expires_at: t.lease_expires_at,
      waiting: t.waiting,
      next_in_line: [...t.waiting_live, ...t.waiting_bulk].slice(0, 20),
      last_answer_at: t.last_answer_at,
      last_answer_code: t.last_answer_code,
    };
  });
}
