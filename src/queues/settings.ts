/** Orchestrator timing settings, with their defaults. All durations in milliseconds. */
import { MypayError } from '../domain/errors.js';
import { DEFAULT_POLL_SCHEDULE, DEFAULT_RETRY, type PollScheduleOptions, type RetryOptions } from '../domain/operation/schedule.js';

export interface CoreSettings {
  /** Lease expiry granted on top of the time an operation is known to need. Default 30 000. */
  leaseMs: number;
  /** How long a waiting operation's job sleeps before checking its place (safety net only; the hand-off wakes it). Default 3 600 000. */
  parkMs: number;
  /** Terminal offline/busy or not delivered: keep retrying at the head of the line until this long after the first attempt. Default 120 000. */
  retryDeadlineMs: number;
  /** The terminal stays reserved this long after a reprint's B200 (printing). Default 3 000. */
  printCooldownMs: number;
  /**
   * Claim safety budget: the POST's first byte must leave within this long of *sending* the claim to
   * Redis, or the worker gives up without POSTing (docs/CORE.md, "The fenced claim"). Default 5 000.
   */
  claimBudgetMs: number;
  /**
   * Claim fence: nobody else may take over a `sending` operation until this long after the claim was
   * applied (Redis' clock). Must exceed {@link claimBudgetMs} by {@link CLAIM_MARGIN_MS}. Default 20 000.
   */
  claimFenceMs: number;
  /**
   * Clock tolerance when proving a gateway row ours by time: a row finished more than this long
   * before our first POST is someone else's. Covers the gateway's clock against Redis'. Default 120 000.
   */
  clockToleranceMs: number;
  /** Order-id tombstones: a charge's order_id stays refused for reuse this long (longer than records). Default 400 days. */
  tombstoneMs: number;
  /** Janitor pass interval (one process at a time). Default 30 000. */
  janitorIntervalMs: number;
  /** An open operation untouched this long past its expected next step is checked by the janitor. Default 60 000. */
  janitorGraceMs: number;
  /** After a check that found a live follow-up, look again this much later. Default 300 000. */
  janitorRecheckMs: number;
  /** Operations checked per janitor pass. Default 500. */
  janitorBatch: number;
  /** Follow-ups the janitor re-creates for one operation before it goes to `needs_review`. Default 10. */
  maxRedrives: number;
  /** Answer timeout of the gateway client, used to size the lease while a POST is in flight. Default 15 000. */
  answerTimeoutMs: number;
  /** How often each worker process sweeps expired leases. Default 5 000. */
  sweepIntervalMs: number;
  /**
   * Follow-up waits up to this long happen inside the running job instead of through a delayed job
   * (which Redis' timer wakes up to 1/hz late). Default 250 — production polls (2 s) always go
   * through delayed jobs and hold no worker slot while waiting.
   */
  inlineWaitMs: number;
  poll: PollScheduleOptions;
  retry: RetryOptions;
}

export const DEFAULT_SETTINGS: CoreSettings = {
  leaseMs: 30_000,
  parkMs: 3_600_000,
  retryDeadlineMs: 120_000,
  printCooldownMs: 3_000,
  claimBudgetMs: 5_000,
  claimFenceMs: 20_000,
  clockToleranceMs: 120_000,
  tombstoneMs: 400 * 86_400_000,
  janitorIntervalMs: 30_000,
  janitorGraceMs: 60_000,
  janitorRecheckMs: 300_000,
  janitorBatch: 500,
  maxRedrives: 10,
  answerTimeoutMs: 15_000,
  sweepIntervalMs: 5_000,
  inlineWaitMs: 250,
  poll: DEFAULT_POLL_SCHEDULE,
  retry: DEFAULT_RETRY,
};

export type SettingsInput = Partial<Omit<CoreSettings, 'poll' | 'retry'>> & { poll?: Partial<PollScheduleOptions>; retry?: Partial<RetryOptions> };

export function resolveSettings(input: SettingsInput = {}): CoreSettings {
  const settings = {
    ...DEFAULT_SETTINGS,
    ...input,
    poll: { ...DEFAULT_SETTINGS.poll, ...input.poll },
    retry: { ...DEFAULT_SETTINGS.retry, ...input.retry },
  };
  const problems = settingsProblems(settings);
  if (problems.length) throw new SettingsError(problems);
  return settings;
}

/**
 * The fence must outlast the budget by this much: it absorbs the difference between the worker's
 * monotonic clock and Redis' clock over one budget, and the script's own run time.
 */
export const CLAIM_MARGIN_MS = 1_000;

/** Settings that would break a guarantee, one line each: a configuration error (never retryable). */
export class SettingsError extends MypayError {
  readonly code = 'SETTINGS';
  readonly retryable = false;
  readonly httpStatus = 500;
  readonly title = 'Settings refused';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'SettingsError';
  }
}

/**
 * Settings that would break a guarantee, one line each (empty: fine). The timing argument behind the
 * claim rules is in docs/CORE.md.
 */
export function settingsProblems(s: CoreSettings): string[] {
  const out: string[] = [];
  const positive: [string, number][] = [
    ['leaseMs', s.leaseMs], ['parkMs', s.parkMs], ['retryDeadlineMs', s.retryDeadlineMs], ['answerTimeoutMs', s.answerTimeoutMs],
    ['sweepIntervalMs', s.sweepIntervalMs], ['claimBudgetMs', s.claimBudgetMs], ['claimFenceMs', s.claimFenceMs],
    ['tombstoneMs', s.tombstoneMs], ['janitorIntervalMs', s.janitorIntervalMs], ['janitorGraceMs', s.janitorGraceMs],
    ['janitorRecheckMs', s.janitorRecheckMs], ['janitorBatch', s.janitorBatch], ['maxRedrives', s.maxRedrives],
    ['poll.denseIntervalMs', s.poll.denseIntervalMs], ['poll.terminalWindowMs', s.poll.terminalWindowMs], ['poll.maxAgeMs', s.poll.maxAgeMs],
    ['poll.reconcileStartMs', s.poll.reconcileStartMs], ['poll.reconcileMaxIntervalMs', s.poll.reconcileMaxIntervalMs],
  ];
  for (const [name, v] of positive) if (!(Number.isFinite(v) && v > 0)) out.push(`${name} must be positive (got ${v})`);
  if (s.claimFenceMs < s.claimBudgetMs + CLAIM_MARGIN_MS) {
    out.push(`claimFenceMs (${s.claimFenceMs}) must exceed claimBudgetMs (${s.claimBudgetMs}) by at least ${CLAIM_MARGIN_MS} ms: a worker could still POST after another took the operation over`);
  }
  out.push(...phaseProblems(s.poll));
  if (s.poll.maxAgeMs <= s.poll.terminalWindowMs) {
    out.push(`poll.maxAgeMs (${s.poll.maxAgeMs}) must exceed poll.terminalWindowMs (${s.poll.terminalWindowMs}): a not_received verdict needs a full window before the horizon`);
  }
  return out;
}

/** The optional phases of the window (domain/operation/schedule.ts): each absent, or a number that keeps a query inside the window. */
function phaseProblems(p: PollScheduleOptions): string[] {
  const out: string[] = [];
  const { quietMs, denseUntilMs, tailIntervalMs } = p;
  if (quietMs !== undefined && !(Number.isFinite(quietMs) && quietMs >= 0 && quietMs < p.terminalWindowMs)) {
    out.push(`poll.quietMs (${quietMs}) must be at least 0 and less than poll.terminalWindowMs (${p.terminalWindowMs}): the first query must come inside the window`);
  }
  if (denseUntilMs !== undefined && !(Number.isFinite(denseUntilMs) && denseUntilMs >= 0)) out.push(`poll.denseUntilMs must be at least 0 (got ${denseUntilMs})`);
  if (tailIntervalMs !== undefined && !(Number.isFinite(tailIntervalMs) && tailIntervalMs > 0)) out.push(`poll.tailIntervalMs must be positive (got ${tailIntervalMs})`);
  return out;
}
