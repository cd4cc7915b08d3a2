/** Webhook delivery timing (docs/WEBHOOKS.md). All durations in ms; injectable so tests run in milliseconds. */
import { DEFAULT_RETRY_SCHEDULE_MS } from '../../config/webhooks.js';

export interface NotifySettings {
  /** One request's limit, connect to the end of the answer. Default 10 000. */
  timeoutMs: number;
  /** Delays between attempts; the last repeats until {@link retryHorizonMs}. Default 5 s … 8 h. */
  retrySchedule: readonly number[];
  /** Retries of one delivery add up to at most this long; then it fails (replayable). Default 3 days. */
  retryHorizonMs: number;
  /** Each retry delay is multiplied by a random factor in [1 − jitter, 1 + jitter]. Default 0.2. */
  jitter: number;
  /** Requests in flight to one endpoint across all processes. Default 10. */
  endpointConcurrency: number;
  /** Failed requests in a row that open an endpoint's circuit. Default 5. */
  breakerFailures: number;
  /** An open circuit lets one probe through after this long. Default 30 000. */
  breakerCooldownMs: number;
  /**
   * A later event of an operation waits (a delayed job, no attempt used) while an earlier one is not
   * delivered; its predecessor's delivery wakes it. This is only the safety net's period. Default 60 000.
   */
  orderParkMs: number;
  /** A delivery waiting for a free slot of its endpoint; a finishing delivery wakes it. Safety net period. Default 10 000. */
  slotParkMs: number;
  /** The dispatcher lock's lifetime (renewed every round); a dead dispatcher's successor takes over after it. Default 15 000. */
  dispatchLockMs: number;
  /** XREADGROUP BLOCK time of the dispatcher (below a third of the lock). Default 2 000. */
  dispatchBlockMs: number;
  /** Events read per dispatcher round. Default 200. */
  dispatchBatch: number;
  /** A new consumer group starts this far back in the event stream (events just before the first start are delivered). Default 300 000. */
  groupLookbackMs: number;
  /** Failed deliveries are kept (replayable) this long. Default 30 days. */
  failedRetentionMs: number;
}

export const DEFAULT_NOTIFY_SETTINGS: NotifySettings = {
  timeoutMs: 10_000,
  retrySchedule: DEFAULT_RETRY_SCHEDULE_MS,
  retryHorizonMs: 3 * 86_400_000,
  jitter: 0.2,
  endpointConcurrency: 10,
  breakerFailures: 5,
  breakerCooldownMs: 30_000,
  orderParkMs: 60_000,
  slotParkMs: 10_000,
  dispatchLockMs: 15_000,
  dispatchBlockMs: 2_000,
  dispatchBatch: 200,
  groupLookbackMs: 300_000,
  failedRetentionMs: 30 * 86_400_000,
};

export function resolveNotifySettings(input: Partial<NotifySettings> = {}): NotifySettings {
  const s = { ...DEFAULT_NOTIFY_SETTINGS, ...input };
  const bad: string[] = [];
  for (const [k, v] of Object.entries(s)) {
    if (k === 'retrySchedule') continue;
    if (k === 'jitter' ? !(typeof v === 'number' && v >= 0 && v < 1) : !(typeof v === 'number' && Number.isFinite(v) && v > 0)) bad.push(`${k} (${String(v)})`);
  }
  if (s.retrySchedule.length === 0 || s.retrySchedule.some((d) => !(Number.isFinite(d) && d > 0))) bad.push('retrySchedule');
  if (s.dispatchBlockMs * 3 > s.dispatchLockMs) bad.push(`dispatchBlockMs (${s.dispatchBlockMs}) must be under a third of dispatchLockMs (${s.dispatchLockMs})`);
  if (bad.length) throw new Error(`webhook settings refused: ${bad.join(', ')}`);
  return s;
}

/** The delay before retry `n` (1 = the first retry), without jitter. */
export function retryDelay(s: Pick<NotifySettings, 'retrySchedule'>, n: number): number {
  const i = Math.min(Math.max(n, 1), s.retrySchedule.length) - 1;
  return s.retrySchedule[i]!;
}

/** Attempts of one delivery: the first, plus every retry whose delays add up to at most the horizon (at least one retry). */
export function attemptsFor(s: Pick<NotifySettings, 'retrySchedule' | 'retryHorizonMs'>): number {
  let total = 0;
  let retries = 0;
  for (;;) {
    const next = retryDelay(s, retries + 1);
    if (retries > 0 && total + next > s.retryHorizonMs) break;
    total += next;
    retries++;
    if (retries > 10_000) break;
  }
  return retries + 1;
}

/** BullMQ's custom backoff: the schedule's delay for this retry, jittered. */
export function backoffWithJitter(s: Pick<NotifySettings, 'retrySchedule' | 'jitter'>, attemptsMade: number, random: () => number = Math.random): number {
  const base = retryDelay(s, attemptsMade);
  return Math.max(1, Math.round(base * (1 - s.jitter + 2 * s.jitter * random())));
}
