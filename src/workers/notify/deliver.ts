/**
 * One delivery of one event to one endpoint (docs/WEBHOOKS.md › Delivery): the `notify` job's processor.
 *
 * 1. The gate (lua/gate.lua, one step): is this event the first undelivered one of its operation for
 *    this endpoint (else it waits, a delayed job using no attempt, until its predecessor is delivered —
 *    which wakes it — or fails with it, saying so)? Is the endpoint's circuit closed (else: not sent,
 *    the attempt counts, and the job is woken when a probe succeeds)? Is a slot free under the
 *    endpoint's concurrency cap (else it waits, woken when a slot frees)?
 * 2. The POST, signed, with the event as stored (the same body and `webhook-id` every attempt).
 * 3. lua/done.lua: frees the slot, moves the line on (delivered: the next event; failed for good: the
 *    next one fails too), counts the attempt in the breaker; the jobs it names are woken here.
 * A failed attempt is retried by BullMQ on the schedule of settings.ts (`backoffWithJitter`); a
 * process killed mid-request leaves a stalled job that BullMQ runs again (a duplicate with the same
 * `webhook-id`, never a loss) and a slot that frees itself after the request's time limit.
 */
import { DelayedError, Job, UnrecoverableError, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { Core } from '../../queues/core.js';
import { streamIdOf } from '../../store/events.js';
import type { WebhookEndpoints, WebhookEndpoint } from './endpoints.js';
import { deliveryJobId, notifyKeys, padSid, unpadSid } from './keys.js';
import type { NotifyJob } from './queue.js';
import { notifyScripts } from './scripts.js';
import type { WebhookSender } from './sender.js';
import type { NotifySettings } from './settings.js';

/** What deliveries report (metrics hook, src/metrics). */
export type NotifyEvent =
  | { type: 'delivered'; endpoint: string; eventType: string; status: number; requestMs: number; latencyMs: number; attempt: number }
  | { type: 'attempt_failed'; endpoint: string; eventType: string; status?: number; requestMs: number; timeout: boolean; attempt: number; final: boolean }
  | { type: 'not_sent'; endpoint: string; reason: 'circuit_open' | 'earlier_event_failed' | 'event_gone' | 'endpoint_gone'; final: boolean }
  | { type: 'circuit'; endpoint: string; state: 'open' | 'closed' };

/** How long a line lives while it holds undelivered events: the retries, then the failed deliveries' retention, plus a day. */
export const lineTtlMs = (s: Pick<NotifySettings, 'retryHorizonMs' | 'failedRetentionMs'>) => s.retryHorizonMs + s.failedRetentionMs + 86_400_000;
/** The endpoint's breaker, waiters and held sets: four times the longest wait any of their members may have. */
export const endpointKeyTtlMs = (s: Pick<NotifySettings, 'retrySchedule' | 'breakerCooldownMs' | 'orderParkMs' | 'slotParkMs'>) => 4 * Math.max(s.breakerCooldownMs, s.orderParkMs, s.slotParkMs, ...s.retrySchedule);
/** A slot (and a probe) frees itself this long after it was taken, should its holder die: the request's limit plus a margin. */
const slotTtlMs = (s: Pick<NotifySettings, 'timeoutMs'>) => s.timeoutMs + 5_000;
/** A line with nothing left but its last delivered event: kept two days (longer than completed jobs are), against a repeated dispatch. */
export const MARK_TTL_MS = 2 * 86_400_000;

export interface DeliverContext {
  core: Core;
  endpoints: WebhookEndpoints;
  sender: WebhookSender;
  settings: NotifySettings;
  queue: Queue<NotifyJob>;
  logger: Logger;
  onEvent?: (e: NotifyEvent) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createNotifyProcessor(ctx: DeliverContext) {
  const { core, endpoints, sender, settings, queue } = ctx;
  const keys = notifyKeys(core.tag);
  const scripts = notifyScripts(core.redis);
  const log = ctx.logger.child({ component: 'webhooks' });
  const emit = (e: NotifyEvent) => ctx.onEvent?.(e);
  const wakes = new Set<Promise<void>>();
  const nudges = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  let stopping = false;

  /**
   * When an endpoint's circuit may let a probe through (`at`, Redis-synchronised ms), wake one held
   * delivery to be it (lua/nudge.lua: once per opening, across processes), so a recovered endpoint
   * is found within a cool-down, not at some delivery's next retry.
   */
  function nudgeAt(endpoint: string, at: number): void {
    const known = nudges.get(endpoint);
    if (stopping || (known && known.at <= at)) return;
    if (known) clearTimeout(known.timer);
    const delay = Math.max(0, at - core.now()) + 10 + Math.floor(Math.random() * 40);
    const timer = setTimeout(() => {
      nudges.delete(endpoint);
      scripts.notifyNudge(keys.breaker(endpoint), keys.held(endpoint), core.now()).then((id) => {
        if (id) wake(id);
      }, (err: Error) => log.warn({ endpoint, err: err.message }, 'circuit probe nudge failed'));
    }, delay);
    timer.unref();
    nudges.set(endpoint, { at, timer });
  }

  /**
   * Promotes a parked job. It may not be parked yet (still running towards its moveToDelayed right
   * after the gate said wait): look again a few times. A wake lost anyway is made up by the job's
   * own timer (settings' park periods).
   */
  function wake(jobId: string): void {
    const p = (async () => {
      // The usual case, parked already: one round trip (the promote script checks the state itself).
      if (await new Job(queue, 'wake', {}, {}, jobId).promote().then(() => true, () => false)) return;
      for (const pause of [20, 50, 100, 200, 400]) {
        if (pause) await sleep(pause);
        const job = await Job.fromId(queue, jobId).catch(() => undefined);
        // Not added yet (the dispatcher adds it right after writing its line): look again.
        if (!job) continue;
        const state = await job.getState().catch(() => 'unknown');
        if (state === 'delayed') {
          if (await job.promote().then(() => true, () => false)) return;
        } else if (state !== 'active') return;
      }
    })().catch(() => undefined);
    wakes.add(p);
    void p.finally(() => wakes.delete(p));
  }

  function keyList(ep: string, op: string): string[] {
    return [keys.line(ep, op), keys.breaker(ep), keys.slots(ep), keys.waiters(ep), keys.held(ep)];
  }

  async function done(d: NotifyJob, jobId: string, psid: string, outcome: 'ok' | 'fail' | 'gaveup' | 'release', requested: boolean, ep?: WebhookEndpoint): Promise<void> {
    const r = await scripts.notifyDone(
      ...keyList(d.endpoint, d.op), psid, jobId, outcome, core.now(), requested ? '1' : '0',
      settings.breakerFailures, settings.breakerCooldownMs, lineTtlMs(settings), MARK_TTL_MS, endpointKeyTtlMs(settings), 1_000, slotTtlMs(settings),
    );
    const [next = '', waiter = '', opened = '0', shut = '0', ...held] = r;
    if (next) wake(deliveryJobId(d.endpoint, unpadSid(next)));
    if (waiter) wake(waiter);
    if (opened === '1') {
      nudgeAt(d.endpoint, core.now() + settings.breakerCooldownMs);
      log.warn({ endpoint: d.endpoint, host: ep?.host, cooldownMs: settings.breakerCooldownMs }, 'webhook endpoint failing: circuit opened, its deliveries wait for a probe');
      emit({ type: 'circuit', endpoint: d.endpoint, state: 'open' });
    }
    if (shut === '1') {
      log.info({ endpoint: d.endpoint, host: ep?.host, resumed: held.length }, 'webhook endpoint answered a probe: circuit closed, waiting deliveries resumed');
      emit({ type: 'circuit', endpoint: d.endpoint, state: 'closed' });
      for (const id of held) wake(id);
    }
  }

  function gate(d: NotifyJob, jobId: string, psid: string): Promise<string[]> {
    return scripts.notifyGate(
      ...keyList(d.endpoint, d.op), psid, jobId, core.now(), settings.endpointConcurrency,
      slotTtlMs(settings), slotTtlMs(settings), lineTtlMs(settings), endpointKeyTtlMs(settings),
    );
  }

  async function park(job: Job<NotifyJob>, token: string | undefined, ms: number): Promise<never> {
    await job.moveToDelayed(Date.now() + ms, token);
    throw new DelayedError();
  }

  const processor = async (job: Job<NotifyJob>, token?: string): Promise<{ result: string; status?: number; ms?: number }> => {
    const d = job.data;
    const jobId = job.id!;
    const sid = streamIdOf(d.event);
    if (!sid) throw new UnrecoverableError(`bad event id ${d.event}`);
    const psid = padSid(sid);
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    const last = attempt >= attempts;
    const ep = endpoints.get(d.endpoint);
    if (!ep) {
      // Another process may know it (a rolling deploy that adds an endpoint): retried on the
      // schedule; failed for good only at the last attempt.
      if (last) await done(d, jobId, psid, 'gaveup', false);
      emit({ type: 'not_sent', endpoint: d.endpoint, reason: 'endpoint_gone', final: last });
      const msg = `attempt ${attempt}/${attempts}: not sent, endpoint ${d.endpoint} is not configured in this process (its URL or id changed, or it was removed)`;
      await job.log(msg);
      throw new Error(msg);
    }

    let g = await gate(d, jobId, psid);
    // An earlier event whose failed delivery was removed (Bull Board, or past the failed retention)
    // cannot be replayed any more: it leaves the line instead of failing its successors for ever.
    for (let i = 0; i < 3 && g[0] === 'pred_failed' && (await queue.getJobState(deliveryJobId(d.endpoint, unpadSid(g[1]!)))) === 'unknown'; i++) {
      await core.redis.hdel(keys.line(d.endpoint, d.op), g[1]!);
      await job.log(`earlier event evt_${unpadSid(g[1]!)} failed and its delivery was removed: skipped`);
      g = await gate(d, jobId, psid);
    }
    switch (g[0]) {
      case 'done':
        await done(d, jobId, psid, 'release', false, ep);
        await job.log('already delivered (a repeated run): nothing sent');
        return { result: 'already_delivered' };
      case 'pred_failed': {
        const head = `evt_${unpadSid(g[1]!)}`;
        await done(d, jobId, psid, 'gaveup', false, ep);
        emit({ type: 'not_sent', endpoint: d.endpoint, reason: 'earlier_event_failed', final: true });
        await job.log(`not sent: an earlier event of ${d.op}, ${head}, failed for good — replay it first (events of one operation arrive in order)`);
        throw new UnrecoverableError(`not sent: earlier event ${head} of ${d.op} failed for good; replay it first`);
      }
      case 'wait':
        await waitForEarlier(job, unpadSid(g[1]!));
        return park(job, token, settings.orderParkMs);
      case 'busy':
        return park(job, token, settings.slotParkMs);
      case 'open': {
        const until = new Date(Number(g[1])).toISOString();
        const msg = `attempt ${attempt}/${attempts}: not sent, circuit open (${g[2]} failed requests in a row since ${g[3] ? new Date(Number(g[3])).toISOString() : '?'}); next probe after ${until}`;
        await job.log(msg);
        nudgeAt(d.endpoint, Number(g[1]));
        // 'release' gives back a slot reserved for this job while it waited (lua/done.lua).
        await done(d, jobId, psid, last ? 'gaveup' : 'release', false, ep);
        emit({ type: 'not_sent', endpoint: d.endpoint, reason: 'circuit_open', final: last });
        throw new Error(msg);
      }
      default:
        break; // 'go' | 'probe'
    }

    let sent = false;
    try {
      const event = await core.events.get(d.store, d.event);
      if (!event) {
        await done(d, jobId, psid, 'gaveup', false, ep);
        emit({ type: 'not_sent', endpoint: d.endpoint, reason: 'event_gone', final: true });
        throw new UnrecoverableError(`not sent: event ${d.event} is no longer stored (past the retention)`);
      }
      const body = JSON.stringify(event);
      const r = await sender.send(ep, event.id, body);
      sent = true;
      const probe = g[0] === 'probe' ? ' (probe)' : '';
      if (r.ok) {
        await done(d, jobId, psid, 'ok', true, ep);
        const latencyMs = Math.max(0, core.now() - Date.parse(event.created_at));
        await job.log(`attempt ${attempt}/${attempts}${probe}: HTTP ${r.status} in ${r.ms} ms — delivered ${latencyMs} ms after the event`);
        emit({ type: 'delivered', endpoint: d.endpoint, eventType: d.type, status: r.status, requestMs: r.ms, latencyMs, attempt });
        log.debug({ endpoint: d.endpoint, event: d.event, type: d.type, status: r.status, ms: r.ms, attempt }, 'webhook delivered');
        return { result: 'delivered', status: r.status, ms: r.ms };
      }
      await done(d, jobId, psid, last ? 'gaveup' : 'fail', true, ep);
      const what = r.status !== undefined ? `HTTP ${r.status} in ${r.ms} ms` : `${r.error} (${r.ms} ms)`;
      const next = last ? 'no attempts left: failed, replayable (POST /v1/webhooks/deliveries/replay)' : 'retried later';
      await job.log(`attempt ${attempt}/${attempts}${probe}: ${what} — ${next}`);
      emit({ type: 'attempt_failed', endpoint: d.endpoint, eventType: d.type, status: r.status, requestMs: r.ms, timeout: r.timeout, attempt, final: last });
      (last ? log.warn.bind(log) : log.info.bind(log))({ endpoint: d.endpoint, host: ep.host, event: d.event, type: d.type, status: r.status, error: r.error, ms: r.ms, attempt, attempts }, last ? 'webhook delivery failed for good' : 'webhook attempt failed');
      throw new Error(`attempt ${attempt}/${attempts}: ${what}`);
    } catch (err) {
      // Anything that ended the attempt before a request left (Redis down, …) frees the slot.
      if (!sent && !(err instanceof UnrecoverableError)) await done(d, jobId, psid, 'release', false, ep).catch(() => undefined);
      throw err;
    }
  };

  /**
   * Waiting behind an earlier event: a job that fails is repaired to failed (its successors then fail
   * with it instead of waiting for ever); one missing twice in a row — removed from Bull Board by a
   * person — is dropped from the line.
   */
  async function waitForEarlier(job: Job<NotifyJob>, headSid: string): Promise<void> {
    const d = job.data;
    const headJob = deliveryJobId(d.endpoint, headSid);
    const state = await queue.getJobState(headJob).catch(() => 'error');
    const line = keys.line(d.endpoint, d.op);
    if (state === 'failed') {
      await core.redis.hset(line, padSid(headSid), 'f');
    } else if (state === 'unknown') {
      if (d.missingHead === headSid) {
        await core.redis.hdel(line, padSid(headSid));
        await job.log(`earlier event evt_${headSid} has no delivery job any more (removed): skipped`);
        wake(job.id!);
        return;
      }
      await job.updateData({ ...d, missingHead: headSid });
    } else if (d.missingHead) {
      await job.updateData({ ...d, missingHead: undefined });
    }
    await job.log(`waiting for the earlier event evt_${headSid} of ${d.op} to be delivered first`);
  }

  return {
    processor,
    async idle() {
      stopping = true;
      for (const n of nudges.values()) clearTimeout(n.timer);
      nudges.clear();
      await Promise.all([...wakes]);
    },
  };
}
