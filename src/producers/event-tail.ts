/**
 * One live tail of the event stream per process (docs/EVENTS.md › Waiting for an outcome): a single
 * blocking `XREAD` on a connection of its own wakes every waiter and subscriber of the process, so a
 * thousand POS requests holding `?wait=` cost one Redis command in flight, not a poll each.
 *
 * A waiter registers first and reads the record second: the tail started before that read, so a
 * final event written after it is seen, and one written before it shows in the record.
 */
import type { Redis, Cluster } from 'ioredis';
import type { EventType } from '../domain/events.js';
import { isFinalState } from '../domain/operation/states.js';
import type { Core } from '../queues/core.js';
import { isFinalPointer, toPointer, type EventPointer, type MypayEvent } from '../store/events.js';
import type { StoredOperation } from '../store/record.js';

export interface EventFilter {
  /** Only these event types (all when unset). */
  types?: readonly EventType[];
  /** Only these stores (all when unset). */
  stores?: readonly string[];
}

export type EventHandler = (event: MypayEvent) => void | Promise<void>;

export interface EventTail {
  /**
   * The operation once it is final, or as it is when `timeoutMs` has passed (check its state); null
   * when there is no such operation.
   */
  waitForFinal(id: string, timeoutMs: number, signal?: AbortSignal): Promise<StoredOperation | null>;
  /** Calls `handler` with every new event matching `filter`, in stream order, until the returned function is called. */
  subscribe(handler: EventHandler, filter?: EventFilter): () => void;
  /** How many waiters and subscribers the tail serves now (metrics, tests). */
  listening(): { waiters: number; subscribers: number };
  close(): Promise<void>;
}

interface Subscriber {
  handler: EventHandler;
  types?: ReadonlySet<string>;
  stores?: ReadonlySet<string>;
}

/** How long one XREAD blocks before it is issued again (also bounds how long close() waits). */
const BLOCK_MS = 2_000;

export function createEventTail(core: Core): EventTail {
  const waiters = new Map<string, Set<() => void>>();
  const subscribers = new Set<Subscriber>();
  let conn: Redis | Cluster | null = null;
  let started: Promise<void> | null = null;
  let closed = false;

  function start(): Promise<void> {
    started ??= (async () => {
      // Where the tail begins: events before it are in the records a waiter reads after registering.
      const from = await core.events.lastId();
      conn = core.redis.duplicate();
      conn.on('error', () => undefined); // reconnects by itself; the loop logs what it misses
      void loop(from);
    })();
    return started;
  }

  async function loop(from: string): Promise<void> {
    let last = from;
    let backoff = 100;
    while (!closed) {
      try {
        const res = (await conn!.xread('COUNT', 500, 'BLOCK', BLOCK_MS, 'STREAMS', core.events.keys.events, last)) as [string, [string, string[]][]][] | null;
        backoff = 100;
        if (!res) continue;
        const entries = res[0]?.[1] ?? [];
        if (entries.length === 0) continue;
        const pointers = entries.map(toPointer).filter((p): p is EventPointer => p !== null);
        for (const p of pointers) if (isFinalPointer(p)) wake(p.op);
        await deliver(pointers);
        // Only once delivered: a failed body read reads the same entries again (waking twice is harmless).
        last = entries[entries.length - 1]![0];
      } catch (err) {
        if (closed) return;
        core.logger.warn({ err: (err as Error).message }, 'event tail: read failed; retrying');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  function wake(opId: string): void {
    const set = waiters.get(opId);
    if (!set) return;
    waiters.delete(opId);
    for (const w of set) w();
  }

  async function deliver(pointers: EventPointer[]): Promise<void> {
    if (subscribers.size === 0) return;
    const wanted = pointers.filter((p) => [...subscribers].some((s) => matches(s, p)));
    if (wanted.length === 0) return;
    const events = await core.events.bodies(wanted);
    for (const e of events) {
      for (const s of subscribers) {
        if (!matches(s, { type: e.type, store: e.store_uid })) continue;
        try {
          await s.handler(e);
        } catch (err) {
          core.logger.warn({ err: (err as Error).message, event: e.id }, 'event subscriber failed');
        }
      }
    }
  }

  const matches = (s: Subscriber, p: { type: string; store: string }) => (!s.types || s.types.has(p.type)) && (!s.stores || s.stores.has(p.store));

  return {
    async waitForFinal(id, timeoutMs, signal) {
      await start();
      let woken!: () => void;
      const final = new Promise<void>((resolve) => {
        woken = resolve;
      });
      const set = waiters.get(id) ?? new Set();
      set.add(woken);
      waiters.set(id, set);
      let timer: NodeJS.Timeout | undefined;
      const stop = () => woken();
      try {
        const op = await core.store.get(id);
        // An already aborted signal (the client left while we looked) never fires its event.
        if (!op || isFinalState(op.state) || timeoutMs <= 0 || signal?.aborted) return op;
        timer = setTimeout(stop, timeoutMs);
        signal?.addEventListener('abort', stop, { once: true });
        await final;
        return await core.store.get(id);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', stop);
        const mine = waiters.get(id);
        mine?.delete(woken);
        if (mine?.size === 0) waiters.delete(id);
      }
    },

    subscribe(handler, filter = {}) {
      const s: Subscriber = { handler, types: filter.types ? new Set(filter.types) : undefined, stores: filter.stores ? new Set(filter.stores) : undefined };
      subscribers.add(s);
      void start();
      return () => {
        subscribers.delete(s);
      };
    },

    listening: () => ({ waiters: [...waiters.values()].reduce((n, s) => n + s.size, 0), subscribers: subscribers.size }),

    async close() {
      closed = true;
      for (const id of [...waiters.keys()]) wake(id);
      if (started) await started.catch(() => undefined);
      conn?.disconnect();
    },
  };
}
