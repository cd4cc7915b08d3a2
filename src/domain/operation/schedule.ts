/**
 * Follow-up and retry schedules as pure functions of their inputs (no clock inside).
 */

export interface PollScheduleOptions {
  /** Interval of the dense phase, while an answer is likely. Default 2 000 ms. */
  denseIntervalMs: number;
  /** How long the customer-at-the-terminal window lasts, from the POST. Default 180 000 ms (3 min). */
  terminalWindowMs: number;
  /**
   * Quiet phase: no query before this long after the POST. A customer takes 8–40 s to tap or insert a
   * card and enter a PIN, so nothing can be final in the first seconds after a B200. Must be shorter
   * than the window. Absent or 0: none (the processes default to 6 000 ms, `POLL_QUIET_MS`).
   */
  quietMs?: number;
  /**
   * End of the dense phase, from the POST; the tail interval applies from here to the window's end.
   * 0: no dense phase. Absent, or at or beyond the window: dense to the window's end (the processes
   * default to 60 000 ms, `POLL_DENSE_UNTIL_MS`).
   */
  denseUntilMs?: number;
  /**
   * Interval of the tail, from {@link denseUntilMs} to the window's end: customers that slow are rare,
   * and a whole window of queries is also what an unknown outcome needs before its verdict. Absent: the
   * dense interval (the processes default to 5 000 ms, `POLL_TAIL_MS`).
   */
  tailIntervalMs?: number;
  /** First reconciliation interval after the window; doubles up to {@link reconcileMaxIntervalMs}. Default 30 000 ms. */
  reconcileStartMs: number;
  /** Longest reconciliation interval. Default 3 600 000 ms (1 h). */
  reconcileMaxIntervalMs: number;
  /** After this age (from the POST) the operation becomes `unresolved`. Default 86 400 000 ms (24 h). */
  maxAgeMs: number;
}

/**
 * The library's default: dense from the POST to the window's end, no quiet phase, no tail — what
 * every caller that passes its own (often compressed) timeline keeps. The processes configured from
 * the environment add the phases (docs/OPERATIONS.md › Settings: `POLL_QUIET_MS`, `POLL_DENSE_UNTIL_MS`,
 * `POLL_TAIL_MS`).
 */
export const DEFAULT_POLL_SCHEDULE: PollScheduleOptions = {
  denseIntervalMs: 2_000,
  terminalWindowMs: 180_000,
  reconcileStartMs: 30_000,
  reconcileMaxIntervalMs: 3_600_000,
  maxAgeMs: 86_400_000,
};

/**
 * Delay before the next status query, or `null` when the horizon is reached (→ `unresolved`).
 * Inside the terminal window: quiet, dense, then the tail; after it, exponential reconciliation
 * capped at the max interval. The last poll lands exactly on the horizon so nothing is given up early.
 */
export function nextPollDelay(ageMs: number, opts: PollScheduleOptions = DEFAULT_POLL_SCHEDULE): number | null {
  if (ageMs >= opts.maxAgeMs) return null;
  const delay = ageMs < opts.terminalWindowMs ? windowDelay(ageMs, opts) : reconcileDelay(ageMs - opts.terminalWindowMs, opts);
  return Math.max(1, Math.min(delay, opts.maxAgeMs - ageMs));
}

/**
 * Inside the window, each phase's last poll lands on its end: the first query on the quiet phase's,
 * and one on the window's end, so an unknown outcome's `not_received` verdict comes right on time.
 */
function windowDelay(ageMs: number, opts: PollScheduleOptions): number {
  const quietUntil = opts.quietMs ?? 0;
  if (ageMs < quietUntil) return quietUntil - ageMs;
  const denseUntil = Math.min(opts.denseUntilMs ?? opts.terminalWindowMs, opts.terminalWindowMs);
  if (ageMs < denseUntil) return Math.min(opts.denseIntervalMs, denseUntil - ageMs);
  return Math.min(opts.tailIntervalMs ?? opts.denseIntervalMs, opts.terminalWindowMs - ageMs);
}

/** Intervals 30s, 60s, 120s …: the n-th starts when the sum of the previous ones has elapsed. */
function reconcileDelay(sinceWindowMs: number, opts: PollScheduleOptions): number {
  // The max interval caps the first one too (a max below the start means "poll at most this far apart").
  let interval = Math.min(opts.reconcileStartMs, opts.reconcileMaxIntervalMs);
  let elapsed = 0;
  while (elapsed + interval <= sinceWindowMs && interval < opts.reconcileMaxIntervalMs) {
    elapsed += interval;
    interval = Math.min(interval * 2, opts.reconcileMaxIntervalMs);
  }
  return interval;
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
