/**
 * The per-store cap on status queries to the gateway (`GATEWAY_QUERIES_PER_SECOND`), across every API
 * and worker process of a deployment: one sliding log of slots per store in Redis (lua/query-cap.lua),
 * one script call per query. The gateway client takes a slot before every `api/querydirect`
 * (client.ts `queryCap`), so no caller — follow-up, a refund's pre-send query, a callback's or a
 * recheck's query, `mypay send query` — can go around it; charges, refunds and reprints never wait
 * for it.
 *
 * Slots are granted on Redis' clock; a query then takes its own time to reach the gateway (the
 * script's answer, this process's event loop, a connection being opened, the network). The log counts
 * a window of one second plus {@link QUERY_CAP_DEFAULTS.transitMarginMs}, so the gateway sees no more
 * than the cap within any one second as long as two queries' ways from their slots to the gateway
 * differ by less than that; sustained, a store gets the cap per 1.25 s. (A deadline for the write
 * would make it exact, but undici drops a connection whose first request is aborted before it is
 * written: behind a slow TLS handshake every query would miss it, for ever.)
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { GatewayConfigError } from './errors.js';

const LUA = readFileSync(new URL('./lua/query-cap.lua', import.meta.url), 'utf8');

export const QUERY_CAP_DEFAULTS = {
  /** A query waits in its process at most this long for a slot; beyond, it is not sent (the caller asks again later). */
  maxWaitMs: 250,
  /** The cap counts the queries of this long… */
  windowMs: 1_000,
  /** …plus this much: how much longer one query's way from its slot to the gateway may be than another's. */
  transitMarginMs: 250,
} as const;

export interface QueryCap {
  /** Queries per store and second. */
  readonly perSecond: number;
  /** Longest wait for a slot (ms). */
  readonly maxWaitMs: number;
  /** Takes a slot for one query of `store`, waiting for it up to {@link maxWaitMs}; false: no slot that soon, nothing may be sent. */
  take(store: string): Promise<boolean>;
}

/** `{tag}:qcap:<store>` (zset, expires a window after its latest slot): the store's slots of the last window. */
export function queryCapKey(tag: string, store: string): string {
  return `{${tag}}:qcap:${encodeURIComponent(store).replace(/\./g, '%2E')}`;
}

type CapRedis = (Redis | Cluster) & { mypayQueryCap?: (key: string, n: number, windowMs: number, maxWaitMs: number, member: string) => Promise<number> };

/** A cap of `perSecond` queries per store (a positive whole number) on `redis`, keyed under the deployment's `tag`. */
export function createQueryCap(redis: Redis | Cluster, tag: string, perSecond: number): QueryCap {
  if (!Number.isInteger(perSecond) || perSecond <= 0) throw new GatewayConfigError(`queries per second must be a positive whole number, got ${perSecond}`);
  const r = redis as CapRedis;
  if (!r.mypayQueryCap) redis.defineCommand('mypayQueryCap', { numberOfKeys: 1, lua: LUA });
  const { maxWaitMs } = QUERY_CAP_DEFAULTS;
  const windowMs = QUERY_CAP_DEFAULTS.windowMs + QUERY_CAP_DEFAULTS.transitMarginMs;
  return {
    perSecond,
    maxWaitMs,
    async take(store) {
      const waitMs = Number(await r.mypayQueryCap!(queryCapKey(tag, store), perSecond, windowMs, maxWaitMs, randomUUID()));
      if (waitMs < 0) return false;
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      return true;
    },
  };
}
