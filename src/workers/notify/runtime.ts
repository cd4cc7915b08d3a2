/**
 * Webhook delivery in a worker process (docs/WEBHOOKS.md): the dispatcher (events → `notify` jobs, one
 * process at a time) and the `notify` worker (deliveries), on a queue and a worker of their own, so a
 * slow or dead endpoint never holds a device or status job — nor, past its concurrency cap, another
 * endpoint's deliveries.
 */
import { Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { Core } from '../../queues/core.js';
import { createNotifyProcessor, type NotifyEvent } from './deliver.js';
import { startDispatcher, type Dispatcher } from './dispatcher.js';
import type { WebhookEndpoints } from './endpoints.js';
import { NOTIFY_BACKOFF, NOTIFY_QUEUE, notifyQueue, type NotifyJob } from './queue.js';
import { createWebhookSender } from './sender.js';
import { backoffWithJitter, resolveNotifySettings, type NotifySettings } from './settings.js';

export interface NotifyRuntimeOptions {
  core: Core;
  endpoints: WebhookEndpoints;
  settings?: Partial<NotifySettings>;
  logger: Logger;
  onEvent?: (e: NotifyEvent) => void;
  /** Deliveries in flight in this process. Default 50. */
  concurrency?: number;
  /** BullMQ job lock (a silent worker loses its job after it: the delivery is sent again). Default 30 000. */
  lockDurationMs?: number;
  /** BullMQ stalled-job check interval. Default 30 000. */
  stalledIntervalMs?: number;
  /** Run the dispatcher here. Default true. */
  dispatcher?: boolean;
  random?: () => number;
}

export interface NotifyRuntime {
  worker: Worker<NotifyJob>;
  dispatcher?: Dispatcher;
  settings: NotifySettings;
  running(): boolean;
  close(): Promise<void>;
}

export function startNotify(o: NotifyRuntimeOptions): NotifyRuntime {
  const settings = resolveNotifySettings(o.settings);
  const { core, logger } = o;
  const sender = createWebhookSender({ timeoutMs: settings.timeoutMs, connections: settings.endpointConcurrency, ca: o.endpoints.ca });
  const queue = notifyQueue(core);
  const { processor, idle } = createNotifyProcessor({ core, endpoints: o.endpoints, sender, settings, queue, logger, onEvent: o.onEvent });
  const random = o.random ?? Math.random;
  const worker = new Worker<NotifyJob>(NOTIFY_QUEUE, processor, {
    connection: core.redis,
    prefix: core.prefix,
    concurrency: o.concurrency ?? 50,
    lockDuration: o.lockDurationMs ?? 30_000,
    stalledInterval: o.stalledIntervalMs ?? 30_000,
    // A stalled delivery (its process died mid-request) is sent again: a duplicate, never a loss.
    maxStalledCount: 10,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) => (type === NOTIFY_BACKOFF ? backoffWithJitter(settings, attemptsMade, random) : 1_000),
    },
  });
  worker.on('error', (err) => logger.error({ queue: NOTIFY_QUEUE, err: err.message }, 'worker error'));
  const dispatcher = o.dispatcher === false ? undefined : startDispatcher({ core, endpoints: o.endpoints, settings, logger });
  let closed = false;
  return {
    worker,
    dispatcher,
    settings,
    running: () => !closed && worker.isRunning(),
    async close() {
      closed = true;
      await dispatcher?.close();
      await worker.close();
      await idle();
      await sender.close();
    },
  };
}
