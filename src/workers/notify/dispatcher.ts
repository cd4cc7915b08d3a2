/**
 * The dispatcher (docs/WEBHOOKS.md › Dispatch): turns merchant events into `notify` jobs, one per event
 * and endpoint. It reads `{tag}:events` — every event of every store, written by the state-changing
 * scripts with the change itself — through the consumer group `notify`, so an event read but not
 * dispatched (a crash) is read again: entries are acknowledged (XACK) only after their jobs exist.
 *
 * Every worker process runs one; one at a time works, holding `{tag}:wh:dispatch` (renewed each round,
 * lua/lock.lua): so events enter their operations' lines in stream order, which is what makes the
 * in-order delivery per operation sound. A holder that pauses and loses the lock writes nothing more
 * (lua/dispatch.lua checks the token in the same step as the writes); its successor reads the group's
 * pending entries first (XREADGROUP … 0: everything read and not acknowledged, whoever read it), then
 * new ones (XREADGROUP … > BLOCK, on a connection of its own). Job ids are `<endpoint>.<stream id>`,
 * so a dispatch repeated after a crash adds nothing, and a line remembers its last delivered event, so
 * a repeated dispatch never puts a delivered event back.
 *
 * The group is created at start (MKSTREAM, a few minutes back) and again after NOGROUP (the stream
 * expired after a retention without events, and with it the group).
 */
import { randomUUID } from 'node:crypto';
import { Job } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Core } from '../../queues/core.js';
import { streamIdOf, toPointer, type EventPointer, type MypayEvent } from '../../store/events.js';
import type { WebhookEndpoints } from './endpoints.js';
import { DISPATCH_CONSUMER, DISPATCH_GROUP, deliveryJobId, notifyKeys, padSid } from './keys.js';
import { notifyJobName, notifyJobOptions, notifyQueue, type NotifyJob } from './queue.js';
import { notifyScripts } from './scripts.js';
import type { NotifySettings } from './settings.js';
import { lineTtlMs } from './deliver.js';

type StreamEntry = [id: string, fields: string[] | null];
type ReadReply = [key: string, entries: StreamEntry[]][] | null;

export interface Dispatcher {
  /** True while this process holds the dispatcher lock. */
  active(): boolean;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startDispatcher(o: { core: Core; endpoints: WebhookEndpoints; settings: NotifySettings; logger: Logger }): Dispatcher {
  const { core, endpoints, settings } = o;
  const log = o.logger.child({ component: 'webhook-dispatcher' });
  const keys = notifyKeys(core.tag);
  const stream = core.store.keys.events;
  const scripts = notifyScripts(core.redis);
  const queue = notifyQueue(core);
  const jobOpts = notifyJobOptions(settings);
  const token = randomUUID();
  // XREADGROUP BLOCK holds its connection: a connection of its own.
  const blocking: Redis | Cluster = core.redis.duplicate();
  blocking.on('error', (err: Error) => log.debug({ err: err.message }, 'dispatcher connection error'));
  let stopped = false;
  let holding = false;
  let groupReady = false;

  async function ensureGroup(): Promise<void> {
    const start = `${Math.max(0, Date.now() - settings.groupLookbackMs)}-0`;
    try {
      await core.redis.xgroup('CREATE', stream, DISPATCH_GROUP, start, 'MKSTREAM');
      log.info({ start }, 'event consumer group created');
    } catch (err) {
      if (!/BUSYGROUP/.test((err as Error).message)) throw err;
    }
    // MKSTREAM makes an empty stream without the expiry the event scripts give it.
    if ((await core.redis.pttl(stream)) === -1) await core.redis.pexpire(stream, core.store.retentionMs);
    groupReady = true;
  }

  const entriesOf = (reply: ReadReply): StreamEntry[] => reply?.[0]?.[1] ?? [];

  async function dispatch(entries: StreamEntry[]): Promise<boolean> {
    const ids = entries.map((e) => e[0]);
    const pointers: EventPointer[] = [];
    for (const [sid, fields] of entries) {
      const p = fields ? toPointer([sid, fields]) : null;
      if (p && endpoints.route(p.store, p.type).length > 0) pointers.push(p);
    }
    const bodies = new Map<string, MypayEvent>();
    for (const e of await core.events.bodies(pointers)) bodies.set(e.id, e);
    const lineKeys: string[] = [];
    const keyIndex = new Map<string, number>();
    const pairs: (string | number)[] = [];
    const jobs: { name: string; data: NotifyJob; jobId: string }[] = [];
    for (const p of pointers) {
      const event = bodies.get(`evt_${p.sid}`);
      if (!event) {
        log.warn({ event: `evt_${p.sid}`, store: p.store }, 'event body no longer stored (past the retention): not delivered');
        continue;
      }
      const obj = event.data.object as Record<string, unknown>;
      for (const ep of endpoints.route(p.store, p.type)) {
        const key = keys.line(ep.id, p.op);
        if (!keyIndex.has(key)) {
          lineKeys.push(key);
          keyIndex.set(key, lineKeys.length + 1); // KEYS[1] is the lock
        }
        pairs.push(keyIndex.get(key)!, padSid(p.sid));
        jobs.push({
          name: notifyJobName({ type: p.type, store: p.store, orderId: typeof obj.order_id === 'string' ? obj.order_id : undefined, batchId: p.type.startsWith('refund_batch.') ? p.op : undefined, host: ep.host }),
          data: { endpoint: ep.id, store: p.store, event: event.id, type: p.type, op: p.op },
          jobId: deliveryJobId(ep.id, p.sid),
        });
      }
    }
    if (jobs.length > 0) {
      const flags = await scripts.notifyDispatch(1 + lineKeys.length, keys.dispatchLock, ...lineKeys, token, lineTtlMs(settings), ...pairs);
      if (flags[0] === -1) {
        holding = false;
        log.warn('dispatcher lock lost mid-round: another dispatcher takes these events over');
        return false;
      }
      // Behind an earlier event of its operation: added parked, so no worker fetches it only to find
      // it must wait; the earlier one's delivery promotes it (deliver.ts, lua/done.lua `next`).
      const todo = jobs.map((j, i) => ({ ...j, flag: flags[i] })).filter((j) => j.flag === 1 || j.flag === 2);
      if (todo.length) await queue.addBulk(todo.map((j) => ({ name: j.name, data: j.data, opts: { ...jobOpts, jobId: j.jobId, ...(j.flag === 2 ? { delay: settings.orderParkMs } : {}) } })));
      // The earlier event may have been delivered between the line write and the add (its wake found
      // no job yet): a parked job that heads its line now is promoted here.
      const parked = todo.filter((j) => j.flag === 2);
      if (parked.length) {
        const heads = await core.redis.pipeline(parked.map((j) => ['hkeys', keys.line(j.data.endpoint, j.data.op)])).exec();
        await Promise.all(parked.map(async (j, i) => {
          const fields = ((heads?.[i]?.[1] as string[] | null) ?? []).filter((f) => f !== 'mark').sort();
          if (fields[0] === padSid(streamIdOf(j.data.event) ?? '')) await new Job(queue, j.name, j.data, {}, j.jobId).promote().catch(() => undefined);
        }));
      }
      log.debug({ events: entries.length, deliveries: todo.length }, 'events dispatched');
    }
    await core.redis.xack(stream, DISPATCH_GROUP, ...ids);
    return true;
  }

  async function round(): Promise<void> {
    const lock = await scripts.notifyLock(keys.dispatchLock, token, settings.dispatchLockMs, '');
    if (lock === 0) {
      if (holding) log.info('dispatcher lock taken by another process');
      holding = false;
      await sleep(Math.min(settings.dispatchLockMs / 3, 2_000));
      return;
    }
    if (!holding) log.info('dispatching events to webhook endpoints');
    holding = true;
    if (lock === 2 || !groupReady) await ensureGroup();
    // First whatever was read and not acknowledged (a crashed or paused dispatcher's round), in order.
    let entries = entriesOf((await core.redis.xreadgroup('GROUP', DISPATCH_GROUP, DISPATCH_CONSUMER, 'COUNT', settings.dispatchBatch, 'STREAMS', stream, '0')) as ReadReply);
    if (entries.length === 0) {
      entries = entriesOf((await blocking.xreadgroup('GROUP', DISPATCH_GROUP, DISPATCH_CONSUMER, 'COUNT', settings.dispatchBatch, 'BLOCK', settings.dispatchBlockMs, 'STREAMS', stream, '>')) as ReadReply);
    }
    if (entries.length > 0 && !stopped) await dispatch(entries);
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      try {
        await round();
        failures = 0;
      } catch (err) {
        if (stopped) break;
        const message = (err as Error).message;
        if (/NOGROUP/.test(message)) {
          groupReady = false;
          log.info('event stream or consumer group gone (expired): creating it again');
          continue;
        }
        failures++;
        log.error({ err: message }, 'dispatcher round failed');
        await sleep(Math.min(200 * 2 ** Math.min(failures, 5), 5_000));
      }
    }
  })();

  return {
    active: () => holding && !stopped,
    async close() {
      stopped = true;
      blocking.disconnect();
      await loop;
      if (holding) await scripts.notifyLock(keys.dispatchLock, token, settings.dispatchLockMs, 'release').catch(() => undefined);
      holding = false;
    },
  };
}
