/**
 * Follow-up and retry schedules as pure functions of their inputs (no clock inside).
 */

export interface PollScheduleOptions {
  /** Interval while the customer is at the terminal. Default 2 000 ms. */
  denseIntervalMs: number;
  /** How long the customer-at-the-terminal window lasts, from the POST. Default 180 000 ms (3 min). */
  terminalWindowMs: number;
  /** First reconciliation interval after the window; doubles up to {@link reconcileMaxIntervalMs}. Default 30 000 ms. */
  reconcileStartMs: number;
  /** Longest reconciliation interval. Default 3 600 000 ms (1 h). */
  reconcileMaxIntervalMs: number;
  /** After this age (from the POST) the operation becomes `unresolved`. Default 86 400 000 ms (24 h). */
  maxAgeMs: number;
}

export const DEFAULT_POLL_SCHEDULE: PollScheduleOptions = {
  denseIntervalMs: 2_000,
  terminalWindowMs: 180_000,
  reconcileStartMs: 30_000,
  reconcileMaxIntervalMs: 3_600_000,
  maxAgeMs: 86_400_000,
};

/**
 * Delay before the next status query, or `null` when the horizon is reached (→ `unresolved`).
 * Dense polling inside the terminal window, then exponential reconciliation capped at the max
 * interval; the last poll lands exactly on the horizon so nothing is given up early.
 */
export function nextPollDelay(ageMs: number, opts: PollScheduleOptions = DEFAULT_POLL_SCHEDULE): number | null {
  if (ageMs >= opts.maxAgeMs) return null;
  let delay: number;
  if (ageMs < opts.terminalWindowMs) {
    delay = Math.min(opts.denseIntervalMs, opts.terminalWindowMs - ageMs);
  } else {
    const sinceWindow = ageMs - opts.terminalWindowMs;
    // Intervals 30s, 60s, 120s …: the n-th starts when the sum of the previous ones has elapsed.
    // The max interval caps the first one too (a max below the start means "poll at most this far apart").
    let interval = Math.min(opts.reconcileStartMs, opts.reconcileMaxIntervalMs);
    let elapsed = 0;
    while (elapsed + interval <= sinceWindow && interval < opts.reconcileMaxIntervalMs) {
      elapsed += interval;
      interval = Math.min(interval * 2, opts.reconcileMaxIntervalMs);
    }
    delay = interval;
  }
  return Math.max(1, Math.min(delay, opts.maxAgeMs - ageMs));
}

export interface RetryOptions {
  /** First retry delay. Default 1 000 ms. */
  baseMs: number;
  /** Cap. Default 30 000 ms. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { baseMs: 1_000, maxMs: 30_000 };

/**
 * Exponential backoff with "equal jitter": half fixed, half random, so retries of many terminals
 * spread out but a single retry is never immediate. `random` is injected (0 ≤ r < 1).
 */
export function retryDelay(attempt: number, random: number, opts: RetryOptions = DEFAULT_RETRY): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random);
}
