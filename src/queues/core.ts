/**
 * The shared core both producers and workers stand on: one Redis connection, the operation store,
 * the two queues, settings and a clock. `dispatch` is the one way an operation's device job is made
 * runnable (first enqueue, hand-off, recovery).
 */
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { Job, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { OperationStore } from '../store/operations.js';
import { EventStore } from '../store/events.js';
import { OperationSearch } from '../store/search.js';
import { bullPrefix } from '../store/keys.js';
import type { StoredOperation } from '../store/record.js';
import { DEFAULT_JOB_OPTIONS, QUEUES, jobName, statusJobId, type OperationJob } from './registry.js';
import { resolveSettings, type CoreSettings, type SettingsInput } from './settings.js';
import { createRedisClock, type RedisClock } from './clock.js';

export interface CoreOptions {
  /** An ioredis connection (Redis or Cluster) or a `redis://` URL. */
  connection: Redis | Cluster | string;
  /** Key hash tag and BullMQ prefix (without braces). Default `mypay`. */
  tag?: string;
  settings?: SettingsInput;
  logger?: Logger;
  /** Clock in ms; injectable for tests. Default: this host's clock corrected to Redis' (`TIME`), see clock.ts. */
  now?: () => number;
  /** Record retention after the final state. Default 90 days. */
  retentionMs?: number;
}

export interface Core {
  readonly redis: Redis | Cluster;
  readonly store: OperationStore;
  /** Merchant events (docs/EVENTS.md), written by the store's scripts with each state change. */
  readonly events: EventStore;
  /** Search over the operations by the indexes the scripts keep (store/search.ts). */
  readonly search: OperationSearch;
  readonly tag: string;
  readonly prefix: string;
  readonly settings: CoreSettings;
  readonly logger: Logger;
  readonly deviceQueue: Queue<OperationJob>;
  readonly statusQueue: Queue<OperationJob>;
  now(): number;
  /** The Redis-synchronised clock behind `now()` (absent when a clock was injected). */
  readonly clock?: RedisClock;
  /** Makes the operation's device job runnable now (creating it if needed). */
  dispatch(op: StoredOperation): Promise<void>;
  /**
   * The hand-off's fast path: promotes the parked device job of `opId` in one round trip; only if
   * it is not parked (a recovery case) reads the record and falls back to {@link dispatch}.
   */
  wake(opId: string): Promise<StoredOperation | null>;
  /**
   * Creates the device jobs of new operations, each parked (waiting its turn) unless it already holds
   * its terminal: one `addBulk`, one pipelined lease check (a line that moved between the enqueue
   * script and the add had no job to promote: promoted here).
   */
  parkMany(items: { op: StoredOperation; holdsLease: boolean }[]): Promise<void>;
  /** Ensures the status job exists; `promote` runs it now (callback hints, recovery). */
  ensureStatusJob(op: StoredOperation, delayMs: number, promote?: boolean): Promise<void>;
  close(): Promise<void>;
}

export const REDIS_OPTIONS: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true };

export function createCore(options: CoreOptions): Core {
  const owned = typeof options.connection === 'string';
  const redis = typeof options.connection === 'string' ? new Redis(options.connection, REDIS_OPTIONS) : options.connection;
  const tag = options.tag ?? 'mypay';
  const prefix = bullPrefix(tag);
  const settings = resolveSettings(options.settings);
  const logger = options.logger ?? pino({ level: 'silent' });
  const clock = options.now ? undefined : createRedisClock(redis);
  const now = options.now ?? (() => clock!.now());
  const queueOpts = { connection: redis, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS };
  const deviceQueue = new Queue<OperationJob>(QUEUES.device, queueOpts);
  const statusQueue = new Queue<OperationJob>(QUEUES.status, queueOpts);
  // The finish script promotes the next operation's parked job itself (BullMQ's promote, its keys).
  const promoteKeys = ['delayed', 'wait', 'paused', 'meta', 'prioritized', 'active', 'pc', 'events', 'marker'];
  const handOff = { keys: promoteKeys.map((k) => deviceQueue.toKey(k)), jobKeyPrefix: deviceQueue.toKey('') };
  const store = new OperationStore(redis, { tag, retentionMs: options.retentionMs, tombstoneMs: settings.tombstoneMs, handOff });
  const events = new EventStore(redis, tag, store.retentionMs);
  const search = new OperationSearch(redis, tag);
  // Without a listener BullMQ prints every connection error (each reconnect attempt while Redis is
  // down) as a raw stack on stderr, bypassing the logger and its redaction.
  for (const q of [deviceQueue, statusQueue]) q.on('error', (err: Error) => logger.warn({ queue: q.name, err: err.message }, 'queue connection error'));

  async function makeRunnable(queue: Queue<OperationJob>, jobId: string, name: string, opId: string, delay: number, promote: boolean): Promise<void> {
    // A short wait is cheaper in the job than through Redis' timer (see settings.inlineWaitMs).
    const inline = delay > 0 && delay <= settings.inlineWaitMs;
    const data: OperationJob = inline ? { opId, notBefore: now() + delay } : { opId };
    if (inline) delay = 0;
    const job: Job<OperationJob> | undefined = await queue.getJob(jobId);
    if (!job) {
      await queue.add(name, data, { jobId, delay });
      return;
    }
    const state = await job.getState();
    if (state === 'delayed') {
      if (promote) await job.promote().catch(() => undefined); // lost a race with another promoter: fine
    } else if (state === 'active' && promote && queue === statusQueue) {
      // A hint while the follow-up is mid-poll: its query may have gone out before the news. The run
      // looks for this flag once it has moved the job to delayed (status.worker.ts) and promotes it;
      // a run that looked already has left it delayed, where the look below finds it.
      await redis.set(store.keys.askAgain(opId), '1', 'PX', 60_000);
      if ((await job.getState()) === 'delayed' && (await redis.getdel(store.keys.askAgain(opId)))) await job.promote().catch(() => undefined);
    } else if (state === 'completed' || state === 'failed' || state === 'unknown') {
      // A finished job under this id (kept by retention) cannot run again: replace it.
      await job.remove().catch(() => undefined);
      await queue.add(name, data, { jobId, delay });
    }
  }

  return {
    redis, store, events, search, tag, prefix, settings, logger, deviceQueue, statusQueue,
    now,
    clock,
    dispatch: (op) => makeRunnable(deviceQueue, op.id, jobName(op), op.id, 0, true),
    async wake(opId) {
      try {
        await new Job<OperationJob>(deviceQueue, 'wake', { opId }, {}, opId).promote();
        return null;
      } catch {
        const op = await store.get(opId);
        if (op) await makeRunnable(deviceQueue, op.id, jobName(op), op.id, 0, true);
        return op;
      }
    },
    async parkMany(items) {
      if (items.length === 0) return;
      await deviceQueue.addBulk(items.map(({ op, holdsLease }) => ({
        name: jobName(op), data: { opId: op.id }, opts: { jobId: op.id, delay: holdsLease ? 0 : settings.parkMs },
      })));
      const waiting = items.filter((i) => !i.holdsLease).map((i) => i.op);
      const holders = await store.leaseHolders(waiting);
      await Promise.all(waiting.filter((op, i) => holders[i] === op.id).map((op) => makeRunnable(deviceQueue, op.id, jobName(op), op.id, 0, true)));
    },
    ensureStatusJob: (op, delayMs, promote = false) => makeRunnable(statusQueue, statusJobId(op.id), jobName(op, 'status'), op.id, delayMs, promote),
    async close() {
      clock?.stop();
      await Promise.all([deviceQueue.close(), statusQueue.close()]);
      if (owned) await redis.quit().catch(() => undefined);
    },
  };
}
