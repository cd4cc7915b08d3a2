/**
 * What a person must act on (`GET /v1/attention`, the console's attention list): each item says why
 * and which runbook step settles it (docs/OPERATIONS.md §9). Bounded: a few index reads per store,
 * at most `perKind` items of each kind (with the full count), the 20 newest batches.
 */
import type { Core } from '../../queues/core.js';
import { batchStores, listBatches, readMeta } from '../../batch/index.js';
import type { OperationState } from '../../domain/operation/states.js';
import type { Family } from '../../store/search.js';
import type { OperationRecord } from '../../store/record.js';
import { shown } from './payment.js';

export const ATTENTION_KINDS = ['needs_review', 'amount_mismatch', 'unresolved', 'not_received', 'unknown_prc', 'stuck_terminal', 'batch_rows_not_refunded', 'failed_webhooks'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

export interface AttentionItem {
  kind: AttentionKind;
  /** One line a person reads first. */
  title: string;
  /** Why it needs a person. */
  why: string;
  /** The runbook step that settles it. */
  runbook: string;
  store_uid?: string;
  operation?: OperationRecord;
  device_name?: string;
  batch_id?: string;
  /** When it started needing attention (ISO). */
  since?: string;
}

export interface AttentionView {
  /** Items per kind in this answer (at most `per_kind` each) and how many there are in all. */
  counts: Record<AttentionKind, number>;
  per_kind: number;
  items: AttentionItem[];
}

const RUNBOOK = {
  needs_review: 'docs/OPERATIONS.md#95-an-operation-is-needs_review',
  unresolved: 'docs/OPERATIONS.md#91-an-operation-ended-unresolved',
  not_received: 'docs/OPERATIONS.md#94-an-operation-ended-not_received',
  stuck: 'docs/OPERATIONS.md#92-a-terminal-stuck-busy',
  unknownPrc: 'docs/OPERATIONS.md#96-a-prc-code-we-do-not-know',
  batch: 'docs/OPERATIONS.md#97-a-refund-batch-with-rows-not-refunded',
  webhooks: 'docs/WEBHOOKS.md#failed-deliveries',
};

const FAMILIES: Family[] = ['charge', 'refund', 'reprint'];

export interface AttentionSources {
  /** Failed webhook deliveries (count and the newest few), when webhooks run; of `stores` only when given. */
  failedWebhooks?: (stores?: readonly string[]) => Promise<{ count: number; items: { store_uid?: string; endpoint: string; event: string; type: string; failed_at?: string; reason: string }[] }>;
}

export async function attentionView(core: Core, stores: readonly string[], sources: AttentionSources = {}, perKind = 50): Promise<AttentionView> {
  const counts = Object.fromEntries(ATTENTION_KINDS.map((k) => [k, 0])) as Record<AttentionKind, number>;
  const items: AttentionItem[] = [];
  const push = (item: AttentionItem) => {
    counts[item.kind]++;
    if (items.filter((i) => i.kind === item.kind).length < perKind) items.push(item);
  };

  // Operations by state: one index read per store, family and state.
  const states: OperationState[] = ['needs_review', 'unresolved', 'not_received'];
  const pipe = core.redis.pipeline();
  const asked: { store: string; state: OperationState }[] = [];
  for (const store of stores) {
    for (const state of states) {
      for (const family of FAMILIES) {
        pipe.zrevrange(core.search.indexKey(store, family, { state }), 0, perKind - 1);
        asked.push({ store, state });
      }
    }
  }
  const ids = ((await pipe.exec()) ?? []).flatMap(([err, rows], i) => (err ? [] : (rows as string[]).map((id) => ({ id, ...asked[i]! }))));
  const records = await core.store.getMany(ids.map((x) => x.id));
  records.forEach((op, i) => {
    if (!op || op.state !== ids[i]!.state) return;
    const rec = shown(op);
    const since = new Date(op.finished ?? op.updated).toISOString();
    const what = `${op.kind} ${op.order_id ?? op.id} on ${op.device}`;
    if (op.state === 'needs_review') {
      const mismatch = op.prc === '290';
      push({
        kind: mismatch ? 'amount_mismatch' : 'needs_review', store_uid: op.store, operation: rec, since, runbook: RUNBOOK.needs_review,
        title: mismatch ? `${what}: paid, but the amounts differ (prc 290)` : `${what} needs review`,
        why: mismatch
          ? `the gateway says paid but the amounts differ (its message: ${op.msg ?? '—'}): compare the amount at the gateway with the order and settle the difference with the customer`
          : (op.review ?? op.msg ?? 'a person must look'),
      });
    } else if (op.state === 'unresolved') {
      push({ kind: 'unresolved', store_uid: op.store, operation: rec, since, runbook: RUNBOOK.unresolved, title: `${what}: no final answer`, why: op.msg ?? 'no final answer within the follow-up horizon: check the terminal and the merchant portal, then recheck' });
    } else {
      push({ kind: 'not_received', store_uid: op.store, operation: rec, since, runbook: RUNBOOK.not_received, title: `${what} was not received`, why: `${op.msg ?? 'the gateway shows no trace of it'}: nothing moved; start it again with POST /v1/operations/{id}/retry if it is still wanted` });
    }
  });

  // Unknown prc codes: pending operations whose last answer was a code the spec does not list (bounded scan).
  const pendingPipe = core.redis.pipeline();
  for (const store of stores) for (const family of ['charge', 'refund'] as const) pendingPipe.zrevrange(core.search.indexKey(store, family, { state: 'pending' }), 0, 199);
  const pendingIds = ((await pendingPipe.exec()) ?? []).flatMap(([err, rows]) => (err ? [] : (rows as string[])));
  for (const op of await core.store.getMany(pendingIds)) {
    if (!op || op.state !== 'pending' || !op.unknown_prc) continue;
    push({
      kind: 'unknown_prc', store_uid: op.store, operation: shown(op), since: new Date(op.updated).toISOString(), runbook: RUNBOOK.unknownPrc,
      title: `${op.kind} ${op.order_id ?? op.id}: prc ${op.unknown_prc} is not in the gateway's table`,
      why: 'treated as not final and followed up; it ends unresolved at the horizon unless a known code comes: ask MYPAY what the code means',
    });
  }

  // Terminals held past their lease for longer than the sweeper needs to recover them.
  const now = core.now();
  const stuckBefore = now - Math.max(60_000, 3 * core.settings.sweepIntervalMs);
  const stuck = await core.redis.zrangebyscore(core.store.keys.leases, '-inf', stuckBefore, 'WITHSCORES', 'LIMIT', 0, 500);
  for (let i = 0; i + 1 < stuck.length; i += 2) {
    const member = stuck[i]!;
    const [store, device] = [member.slice(0, member.indexOf('|')), member.slice(member.indexOf('|') + 1)];
    if (!stores.includes(store)) continue;
    const expired = Number(stuck[i + 1]);
    push({
      kind: 'stuck_terminal', store_uid: store, device_name: device, since: new Date(expired).toISOString(), runbook: RUNBOOK.stuck,
      title: `terminal ${device} busy past its lease for ${Math.round((now - expired) / 1000)} s`,
      why: 'its lease expired and the sweeper has not handed it on: the operations behind it wait',
    });
  }

  // Refund batches (the 20 newest) that completed with rows not refunded, all of whose stores are asked about.
  for (const batchId of await listBatches(core, 0, 20)) {
    const meta = await readMeta(core, batchId);
    if (!meta || meta.status !== 'complete' || !meta.not_refunded || (meta.store && !stores.includes(meta.store))) continue;
    if ((await batchStores(core, batchId, meta)).some((s) => !stores.includes(s))) continue;
    push({
      kind: 'batch_rows_not_refunded', store_uid: meta.store, batch_id: batchId, since: meta.completed ? new Date(meta.completed).toISOString() : undefined, runbook: RUNBOOK.batch,
      title: `refund batch ${batchId}: ${meta.not_refunded} of ${meta.rows} rows not refunded`,
      why: 'see the rows (GET /v1/refund-batches/{id}): not_received rows can be started again with mypay retry --batch; refused rows need their data fixed',
    });
  }

  if (sources.failedWebhooks) {
    const failed = await sources.failedWebhooks();
    for (const f of failed.items) {
      if (f.store_uid !== undefined && !stores.includes(f.store_uid)) continue;
      push({ kind: 'failed_webhooks', store_uid: f.store_uid, since: f.failed_at, runbook: RUNBOOK.webhooks, title: `webhook ${f.type} (${f.event}) to ${f.endpoint} failed for good`, why: `${f.reason}; replay it once the endpoint answers (POST /v1/webhooks/deliveries/replay)` });
    }
    counts.failed_webhooks = Math.max(counts.failed_webhooks, failed.count);
  }

  // Counts of the operation states are the index sizes (the items above are the newest few).
  const cardPipe = core.redis.pipeline();
  const carded: OperationState[] = [];
  for (const store of stores) {
    for (const state of states) {
      for (const family of FAMILIES) {
        cardPipe.zcard(core.search.indexKey(store, family, { state }));
        carded.push(state);
      }
    }
  }
  const totals: Record<string, number> = { needs_review: 0, unresolved: 0, not_received: 0 };
  ((await cardPipe.exec()) ?? []).forEach(([, n], i) => {
    totals[carded[i]!]! += Number(n ?? 0);
  });
  counts.needs_review = Math.max(counts.needs_review, totals.needs_review! - counts.amount_mismatch);
  counts.unresolved = Math.max(counts.unresolved, totals.unresolved!);
  counts.not_received = Math.max(counts.not_received, totals.not_received!);
  return { counts, per_kind: perKind, items };
}
