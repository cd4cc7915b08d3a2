/**
 * Guards of `POST /v1/callbacks/mypay`, which takes no API key (the gateway cannot send one), so
 * that it is no amplifier against the gateway nor a way to poke at other stores:
 *
 * 1. a token bucket per client address, in memory (`CALLBACK_RATE_PER_SECOND`, `CALLBACK_RATE_BURST`):
 *    over it, 429 with `Retry-After`, before the body is even read;
 * 2. the store's shared secret (`callback_secret` in the stores file, `MYPAY_CALLBACK_SECRET`), sent
 *    by the gateway as `?secret=` in the registered callback URL or as `X-Mypay-Callback-Secret`,
 *    compared in constant time: a store that has one is never looked at without it (401 when no
 *    store is left to try, nothing looked up);
 * 3. per order, one gateway query per `CALLBACK_COALESCE_MS` however many callbacks come (in Redis,
 *    shared by every API process: producers/callbacks.ts handleCallbackHint).
 *
 * The address is the TCP peer's (`trust proxy` is off): behind a reverse proxy every callback comes
 * from the proxy, and the bucket is the proxy's.
 */
import type { Request, RequestHandler } from 'express';
import { DEFAULT_CALLBACK_COALESCE_MS } from '../producers/callbacks.js';
import { constantTimeEqual } from './auth.js';
import type { CallbackOptions } from './deps.js';
import { HttpProblem, sendProblem } from './problem.js';

export const CALLBACK_SECRET_HEADER = 'X-Mypay-Callback-Secret';
export const DEFAULT_CALLBACK_RATE_PER_SECOND = 20;
export const DEFAULT_CALLBACK_BURST = 40;
/** Client addresses remembered at once; past it the least recently seen is forgotten (its bucket was refilling anyway). */
const MAX_CLIENTS = 10_000;

export interface TokenBuckets {
  /** Takes a token for `client`: true, or the seconds until one is there. */
  take(client: string): { ok: true } | { ok: false; retryAfterSeconds: number };
  readonly size: number;
}

/** Token buckets per client: `burst` tokens at most, refilled at `ratePerSecond`; least recently seen first out past `maxClients`. */
export function tokenBuckets(ratePerSecond: number, burst: number, now: () => number = () => performance.now(), maxClients = MAX_CLIENTS): TokenBuckets {
  if (!(ratePerSecond > 0) || !(burst >= 1)) throw new Error('tokenBuckets: the rate must be positive and the burst at least 1');
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(client) {
      const t = now();
      let b = buckets.get(client);
      if (b) {
        b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * ratePerSecond);
        b.at = t;
        buckets.delete(client); // re-inserted below: the map stays in order of last use
      } else {
        if (buckets.size >= maxClients) buckets.delete(buckets.keys().next().value!);
        b = { tokens: burst, at: t };
      }
      buckets.set(client, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / ratePerSecond)) };
    },
    get size() {
      return buckets.size;
    },
  };
}

export interface CallbackGuard {
  /** Middleware: 429 problem with `Retry-After` when the client address is over its rate. */
  rateLimit: RequestHandler;
  /**
   * The stores this callback may concern, given the secret it brings: the one of `?store_uid=` (a
   * store not configured is left to the route's own 400), else every configured store whose secret
   * it brings or that has none. Throws 401 when that leaves none.
   */
  storesFor(req: Request, configured: readonly string[]): readonly string[];
  coalesceMs: number;
}

export function callbackGuard(options: CallbackOptions = {}): CallbackGuard {
  const secrets = options.secrets ?? {};
  const buckets = tokenBuckets(options.ratePerSecond ?? DEFAULT_CALLBACK_RATE_PER_SECOND, options.burst ?? DEFAULT_CALLBACK_BURST);

  const rateLimit: RequestHandler = (req, res, next) => {
    const taken = buckets.take(req.ip ?? req.socket.remoteAddress ?? 'unknown');
    if (taken.ok) return next();
    // Drained: the body is not read; the connection closes rather than keep a flood's bytes coming.
    res.set('Connection', 'close');
    sendProblem(res, {
      status: 429, code: 'rate_limited', title: 'Too many callbacks', retryable: true,
      detail: `too many callbacks from this address: try again in ${taken.retryAfterSeconds} s`,
      errors: [{ field: '(client)', message: 'is over the callback rate' }],
    }, { 'Retry-After': String(taken.retryAfterSeconds) });
  };

  /** The secret the callback brings: the header, else `?secret=` (one value). */
  const secretOf = (req: Request): string | undefined => {
    const header = req.get(CALLBACK_SECRET_HEADER);
    if (header !== undefined) return header;
    const q = req.query.secret;
    return typeof q === 'string' ? q : undefined;
  };
  // Every store's secret is compared, whatever matched (no early exit).
  const accepts = (store: string, given: string | undefined): boolean => {
    const secret = secrets[store];
    if (secret === undefined) return true;
    return constantTimeEqual(given ?? '', secret) && given !== undefined;
  };

  return {
    rateLimit,
    coalesceMs: options.coalesceMs ?? DEFAULT_CALLBACK_COALESCE_MS,
    storesFor(req, configured) {
      const given = secretOf(req);
      const param = req.query.store_uid;
      if (param !== undefined) {
        if (typeof param !== 'string' || !configured.includes(param)) return configured;
        if (accepts(param, given)) return [param];
        throw refused(given);
      }
      const open = configured.filter((s) => accepts(s, given));
      if (open.length === 0) throw refused(given);
      return open;
    },
  };
}

function refused(given: string | undefined): HttpProblem {
  return new HttpProblem(401, 'unauthorized', 'Callback secret required', [
    { field: CALLBACK_SECRET_HEADER, message: given === undefined ? 'is required for this store (or ?secret= in the callback URL)' : 'is not the callback secret of this store' },
  ]);
}
