/** Orchestrator timing settings, with their defaults. All durations in milliseconds. */
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
  /** Charges/refunds whose POST may have been lost are re-sent (same order_id) at most this many times. Default 2. */
  maxResends: number;
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
  maxResends: 2,
  answerTimeoutMs: 15_000,
  sweepIntervalMs: 5_000,
  inlineWaitMs: 250,
  poll: DEFAULT_POLL_SCHEDULE,
  retry: DEFAULT_RETRY,
};

export type SettingsInput = Partial<Omit<CoreSettings, 'poll' | 'retry'>> & { poll?: Partial<PollScheduleOptions>; retry?: Partial<RetryOptions> };

export function resolveSettings(input: SettingsInput = {}): CoreSettings {
  return {
    ...DEFAULT_SETTINGS,
    ...input,
    poll: { ...DEFAULT_SETTINGS.poll, ...input.poll },
    retry: { ...DEFAULT_SETTINGS.retry, ...input.retry },
  };
}
