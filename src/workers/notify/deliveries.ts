/**
 * Deliveries as a person sees them (docs/WEBHOOKS.md › Runbook): listing the `notify` jobs by state,
 * endpoint and store, in event order, and replaying failed ones — in event order, each operation's
 * earlier failed events with it, so a replay delivers as the events happened.
 */
import { Job } from 'bullmq';
import type { Core } from '../../queues/core.js';
import { streamIdOf } from '../../store/events.js';
import { lineTtlMs } from './deliver.js';
import { notifyKeys, padSid, parseDeliveryJobId } from './keys.js';
import { notifyQueue, type NotifyJob } from './queue.js';
import { notifyScripts } from './scripts.js';
import { DEFAULT_NOTIFY_SETTINGS, type NotifySettings } from './settings.js';

export const DELIVERY_STATES = ['failed', 'delayed', 'waiting', 'active', 'completed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export interface DeliveryView {
  /** BullMQ job id `<endpoint>.<stream id>` (Bull Board shows it). */
  id: string;
  endpoint: string;
  store_uid: string;
  event_id: string;
  event_type: string;
  operation_id: string;
  name: string;
  state: string;
  attempts_made: number;
  attempts_max: number;
  /** The last failure (failed deliveries; retried ones too while they wait). */
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
  /** Delayed deliveries: when they run next. */
  next_attempt_at: string | null;
}

export interface DeliveryFilter {
  endpoint?: string;
  store?: string;
  /** Only deliveries of these stores (an API key's scope). */
  stores?: readonly string[];
  /** `evt_<stream id>`. */
  eventId?: string;
}

interface Candidate {
  id: string;
  endpoint: string;
  sid: string;
  data: NotifyJob;
}

/** Sorted by stream id: the order events happened. */
const bySid = (a: Candidate, b: Candidate) => (padSid(a.sid) < padSid(b.sid) ? -1 : padSid(a.sid) > padSid(b.sid) ? 1 : a.endpoint < b.endpoint ? -1 : 1);

/** Jobs of `state` matching the filter, in event order (job data read in one pipeline). */
async function candidates(core: Core, state: DeliveryState, f: DeliveryFilter): Promise<Candidate[]> {
  const queue = notifyQueue(core);
  const ids = await queue.getRanges([state === 'waiting' ? 'wait' : state], 0, -1, true);
  const wantSid = f.eventId ? streamIdOf(f.eventId) : null;
  if (f.eventId && !wantSid) return [];
  const parsed = ids.flatMap((id) => {
    const p = parseDeliveryJobId(id);
    if (!p || (f.endpoint && p.endpoint !== f.endpoint)) return [];
    return [{ id, ...p }];
  });
  if (parsed.length === 0) return [];
  const pipe = core.redis.pipeline();
  for (const p of parsed) pipe.hget(queue.toKey(p.id), 'data');
  const res = (await pipe.exec()) ?? [];
  const out: Candidate[] = [];
  parsed.forEach((p, i) => {
    const raw = res[i]?.[1];
    if (typeof raw !== 'string') return;
    let data: NotifyJob;
    try {
      data = JSON.parse(raw) as NotifyJob;
    } catch {
      return;
    }
    if (f.store && data.store !== f.store) return;
    if (f.stores && !f.stores.includes(data.store)) return;
    out.push({ ...p, data });
  });
  return out.sort(bySid);
}

async function view(core: Core, id: string): Promise<DeliveryView | null> {
  const job = await Job.fromId<NotifyJob>(notifyQueue(core), id);
  if (!job) return null;
  const state = await job.getState();
  // The delayed set's score is the run time × 4096 (BullMQ's getDelayedScore).
  const score = state === 'delayed' ? await core.redis.zscore(notifyQueue(core).toKey('delayed'), id) : null;
  const iso = (ms?: number | null) => (ms ? new Date(ms).toISOString() : null);
  return {
    id,
    endpoint: job.data.endpoint,
    store_uid: job.data.store,
    event_id: job.data.event,
    event_type: job.data.type,
    operation_id: job.data.op,
    name: job.name,
    state,
    attempts_made: job.attemptsMade,
    attempts_max: job.opts.attempts ?? 1,
    last_error: job.failedReason || null,
    created_at: new Date(job.timestamp).toISOString(),
    finished_at: iso(job.finishedOn),
    next_attempt_at: score ? iso(Math.floor(Number(score) / 0x1000)) : null,
  };
}

export async function listDeliveries(core: Core, o: DeliveryFilter & { state: DeliveryState; offset: number; limit: number }): Promise<{ deliveries: DeliveryView[]; total: number; next_offset: number | null }> {
  const all = await candidates(core, o.state, o);
  const page = all.slice(o.offset, o.offset + o.limit);
  const deliveries = (await Promise.all(page.map((c) => view(core, c.id)))).filter((d): d is DeliveryView => d !== null);
  const end = o.offset + page.length;
  return { deliveries, total: all.length, next_offset: end < all.length ? end : null };
}

export interface ReplayResult {
  replayed: { id: string; endpoint: string; event_id: string; event_type: string; operation_id: string }[];
  /** Failed deliveries matching the filter left for a next call (over `limit`). */
  remaining: number;
}

/**
 * Runs failed deliveries again with a fresh retry schedule, in event order. With `eventId`, the
 * failed deliveries of that event and of the earlier events of its operation to the same endpoint
 * (the later one would wait for them anyway). Their lines are set pending first, in one script per
 * call, so a later event run again never finds its earlier one still failed. The endpoints'
 * circuits are closed: the replay is sent, not held behind a probe.
 */
export async function replayDeliveries(core: Core, f: DeliveryFilter & { limit: number }, settings: Pick<NotifySettings, 'retryHorizonMs' | 'failedRetentionMs'> = DEFAULT_NOTIFY_SETTINGS): Promise<ReplayResult> {
  const failed = await candidates(core, 'failed', { endpoint: f.endpoint, store: f.store, stores: f.stores });
  let chosen = failed;
  if (f.eventId) {
    const sid = streamIdOf(f.eventId);
    const targets = failed.filter((c) => c.sid === sid);
    const lines = new Map(targets.map((t) => [`${t.endpoint}|${t.data.op}`, padSid(t.sid)]));
    chosen = failed.filter((c) => {
      const upTo = lines.get(`${c.endpoint}|${c.data.op}`);
      return upTo !== undefined && padSid(c.sid) <= upTo;
    });
  }
  const take = chosen.slice(0, f.limit);
  if (take.length === 0) return { replayed: [], remaining: 0 };
  const keys = notifyKeys(core.tag);
  const lineKeys: string[] = [];
  const index = new Map<string, number>();
  const pairs: (string | number)[] = [];
  for (const c of take) {
    const k = keys.line(c.endpoint, c.data.op);
    if (!index.has(k)) {
      lineKeys.push(k);
      index.set(k, lineKeys.length);
    }
    pairs.push(index.get(k)!, padSid(c.sid));
  }
  await notifyScripts(core.redis).notifyReplay(lineKeys.length, ...lineKeys, lineTtlMs(settings), ...pairs);
  // A replay is a person's word that the endpoint works again: its circuit closes (it opens again
  // after as many failures in a row), so the replayed deliveries are sent rather than held.
  for (const ep of new Set(take.map((c) => c.endpoint))) await core.redis.del(keys.breaker(ep));
  const queue = notifyQueue(core);
  const replayed: ReplayResult['replayed'] = [];
  for (const c of take) {
    const job = await Job.fromId<NotifyJob>(queue, c.id);
    if (!job) continue;
    try {
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    } catch {
      continue; // no longer failed (retried meanwhile from Bull Board): it runs anyway
    }
    replayed.push({ id: c.id, endpoint: c.endpoint, event_id: c.data.event, event_type: c.data.type, operation_id: c.data.op });
  }
  return { replayed, remaining: chosen.length - take.length };
}

/**
 * Failed deliveries for the attention list (`GET /v1/attention`): how many, and the newest few; of
 * `stores` only when given (a scan of the failed deliveries' data, as the deliveries list does).
 */
export async function failedDeliveriesSummary(core: Core, newest = 50, stores?: readonly string[]): Promise<{ count: number; items: { store_uid?: string; endpoint: string; event: string; type: string; failed_at?: string; reason: string }[] }> {
  const queue = notifyQueue(core);
  if (stores) {
    const failed = await candidates(core, 'failed', { stores });
    const jobs = await Promise.all(failed.slice(-newest).reverse().map((c) => Job.fromId<NotifyJob>(queue, c.id)));
    return {
      count: failed.length,
      items: jobs.filter((j): j is Job<NotifyJob> => Boolean(j?.data)).map((j) => ({
        store_uid: j.data.store, endpoint: j.data.endpoint, event: j.data.event, type: j.data.type,
        failed_at: j.finishedOn ? new Date(j.finishedOn).toISOString() : undefined, reason: j.failedReason || 'failed',
      })),
    };
  }
  const [count, jobs] = await Promise.all([queue.getFailedCount(), queue.getJobs(['failed'], 0, Math.max(0, newest - 1), false)]);
  return {
    count,
    items: jobs.filter((j): j is Job<NotifyJob> => Boolean(j?.data)).map((j) => ({
      store_uid: j.data.store,
      endpoint: j.data.endpoint,
      event: j.data.event,
      type: j.data.type,
      failed_at: j.finishedOn ? new Date(j.finishedOn).toISOString() : undefined,
      reason: j.failedReason || 'failed',
    })),
  };
}
