/**
 * The configurable gateway rate limit for batch traffic (`BATCH_RATE_LIMIT_PER_S`): bulk-lane sends
 * get slots `1000 / rate` ms apart, shared by every worker process through one Redis key (lua/bulk-gate.lua).
 * O(1) Redis work per send and no polling: a send that must wait sleeps once, until its own slot.
 *
 * It belongs right before a bulk operation's POST, i.e. in the device worker (src/workers is not
 * this module's to edit; docs/BATCH-REFUNDS.md gives the exact hook):
 *
 * ```ts
 * // device.worker.ts, send(), before the transition to 'sending':
 * if (op.lane === 'bulk' && ctx.bulkGate) {
 *   const waitMs = await ctx.bulkGate.wait(op.id, core.now());
 *   if (waitMs > 0) {
 *     await core.store.renewLease(op, core.now() + waitMs + core.settings.leaseMs);
 *     return sleep(job, token, waitMs);
 *   }
 * }
 * ```
 * Live operations never call it, and a bulk refund waits holding its terminal's lease only until
 * its slot (at most terminals-in-bulk-use / rate seconds).
 */
import { readFileSync } from 'node:fs';
import type { Redis, Cluster } from 'ioredis';
import { batchKeys } from './keys.js';

const LUA = readFileSync(new URL('./lua/bulk-gate.lua', import.meta.url), 'utf8');

export interface BulkSendGate {
  /** Sends per second; 0 = unlimited. */
  readonly perSecond: number;
  /** ms to wait before the bulk send of `opId` may go (0 = now). Asking again returns the same slot. */
  wait(opId: string, now?: number): Promise<number>;
}

type GateRedis = (Redis | Cluster) & { mypayBulkGate?: (...args: (string | number)[]) => Promise<number> };

export function createBulkSendGate(redis: Redis | Cluster, tag: string, perSecond: number): BulkSendGate {
  const r = redis as GateRedis;
  if (!r.mypayBulkGate) redis.defineCommand('mypayBulkGate', { numberOfKeys: 2, lua: LUA });
  const k = batchKeys(tag);
  const interval = perSecond > 0 ? 1000 / perSecond : 0;
  return {
    perSecond,
    async wait(opId, now = Date.now()) {
      if (interval === 0) return 0;
      return Number(await r.mypayBulkGate!(k.gate, k.gateSlot(opId), now, interval, 60_000));
    },
  };
}
