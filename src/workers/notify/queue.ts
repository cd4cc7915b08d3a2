/**
 * The `notify` queue (Bull Board: one job per event and endpoint). Job data names the delivery only —
 * endpoint id, store, event id, operation id, event type — never a secret or the body (read from the
 * event stream when sent); the job name is what a person reads: `charge.paid · store 289151880002 ·
 * order 123 → hooks.example.com`.
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Core } from '../../queues/core.js';
import { attemptsFor, type NotifySettings } from './settings.js';

export const NOTIFY_QUEUE = 'notify';

export interface NotifyJob {
  /** Endpoint id. */
  endpoint: string;
  store: string;
  /** `evt_<stream id>`: the `webhook-id`. */
  event: string;
  type: string;
  /** Operation (or batch) the event is about: events of one `op` reach an endpoint in order. */
  op: string;
  /** Waiting behind an earlier event whose job was missing at the last look (the self-repair of a removed job). */
  missingHead?: string;
}

/** BullMQ backoff type of deliveries (the worker's `backoffStrategy`). */
export const NOTIFY_BACKOFF = 'webhook';

export function notifyJobOptions(s: Pick<NotifySettings, 'retrySchedule' | 'retryHorizonMs' | 'failedRetentionMs'>): JobsOptions {
  return {
    attempts: attemptsFor(s),
    backoff: { type: NOTIFY_BACKOFF },
    removeOnComplete: { age: 24 * 3600, count: 50_000 },
    removeOnFail: { age: Math.ceil(s.failedRetentionMs / 1000), count: 100_000 },
    keepLogs: 100,
  };
}

export function notifyJobName(o: { type: string; store: string; orderId?: string; batchId?: string; host: string }): string {
  const parts = [o.type, `store ${o.store}`];
  if (o.orderId) parts.push(`order ${o.orderId}`);
  else if (o.batchId) parts.push(`batch ${o.batchId}`);
  return `${parts.join(' · ')} → ${o.host}`;
}

const queues = new WeakMap<Core, Queue<NotifyJob>>();

/** The core's `notify` queue (one per core, on its connection). */
export function notifyQueue(core: Core): Queue<NotifyJob> {
  let q = queues.get(core);
  if (!q) {
    q = new Queue<NotifyJob>(NOTIFY_QUEUE, { connection: core.redis, prefix: core.prefix });
    const name = q.name;
    q.on('error', (err: Error) => core.logger.warn({ queue: name, err: err.message }, 'queue connection error'));
    queues.set(core, q);
  }
  return q;
}
