/**
 * What a request may see: the stores of its API key (the principal bearerAuth attaches, auth.ts)
 * among the deployment's. Every route asks here, per request, instead of using the deployment's
 * stores: a key never sees another store's operations, events, terminals, batches or deliveries,
 * and a store outside its scope is answered exactly as a store that is not configured (404, or the
 * route's own "not configured" refusal), so store ids do not leak.
 *
 * Without a principal (a router mounted behind an authentication of its own, e.g. the refund-batch
 * router in a library user's app) the request sees every store of the deployment, as before keys
 * had scopes.
 */
import type { Response } from 'express';
import type { Principal } from '../config/api-keys.js';

export type { Principal } from '../config/api-keys.js';

/** `res.locals` field holding the principal. */
export const PRINCIPAL = 'principal';

export function principalOf(res: Response): Principal | undefined {
  return (res.locals as Record<string, unknown>)[PRINCIPAL] as Principal | undefined;
}

/** The stores of `all` (the deployment's) this request may see and act on, in `all`'s order. */
export function storesOf(res: Response, all: readonly string[]): readonly string[] {
  const p = principalOf(res);
  if (!p || p.stores === '*') return all;
  const mine = p.stores;
  return all.filter((s) => mine.includes(s));
}

/** True when the request sees every store of the deployment (no filtering needed). */
export function seesEveryStore(res: Response, all: readonly string[]): boolean {
  return storesOf(res, all).length === all.length;
}
