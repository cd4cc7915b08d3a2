/**
 * Refunds and reprints of a charge. The store keeps no per-charge list of them, so the API keeps one
 * of its own: a set `{tag}:api:related:<chargeOpId>` of operation ids, written when a refund or
 * reprint is enqueued through the API, expiring with the records. Refunds enqueued elsewhere (the
 * batch CLI, a library producer) are found by a one-off key scan when the charge's refunded and
 * reserved amounts show refunds the set does not know, and then added to it.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Core } from '../../queues/core.js';
import { operationId } from '../../store/keys.js';
import type { StoredOperation } from '../../store/record.js';

const STOP = new Set(['declined', 'rejected', 'failed', 'cancelled', 'abandoned', 'data_error', 'unresolved']);

export const relatedKey = (core: Core, chargeId: string) => `{${core.tag}}:api:related:${chargeId}`;

export async function noteRelated(core: Core, chargeId: string | undefined, opId: string): Promise<void> {
  if (!chargeId) return;
  const key = relatedKey(core, chargeId);
  await core.redis.pipeline().sadd(key, opId).pexpire(key, core.store.retentionMs).exec();
}

/** The refunds and reprints of `charge`, oldest first. */
export async function relatedOperations(core: Core, charge: StoredOperation): Promise<StoredOperation[]> {
  const ids = await core.redis.smembers(relatedKey(core, charge.id));
  let ops = (await core.store.getMany(ids)).filter((o): o is StoredOperation => o !== null && o.charge === charge.id);
  if (refundsMissing(charge, ops)) {
    const found = await scanRefunds(core, charge);
    const known = new Set(ops.map((o) => o.id));
    const extra = found.filter((o) => !known.has(o.id));
    for (const o of extra) await noteRelated(core, charge.id, o.id);
    ops = [...ops, ...extra];
  }
  return ops.sort((a, b) => a.created - b.created);
}

/** Amount the charge has refunded or reserved that the listed refunds do not account for. */
function refundsMissing(charge: StoredOperation, ops: StoredOperation[]): boolean {
  const claimed = (charge.refunded ?? 0) + (charge.reserved ?? 0);
  if (claimed === 0) return false;
  const listed = ops.filter((o) => o.kind === 'refund' && !STOP.has(o.state)).reduce((s, o) => s + (o.cost ?? 0), 0);
  return listed < claimed;
}

async function scanRefunds(core: Core, charge: StoredOperation): Promise<StoredOperation[]> {
  const prefix = core.store.keys.op(operationId('refund', charge.store, ''));
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  const keys = await scanAll(core.redis, pattern);
  const ids = keys.map((k) => k.slice(core.store.keys.op('').length));
  const ops = await core.store.getMany(ids);
  return ops.filter((o): o is StoredOperation => o !== null && o.charge === charge.id);
}

async function scanAll(redis: Redis | Cluster, pattern: string): Promise<string[]> {
  // A Cluster scans per master; our keys share one hash tag, so one node holds them all anyway.
  const nodes: Redis[] = redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
  const out: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      out.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return out;
}
