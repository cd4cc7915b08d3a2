/**
 * Profiles: how big a run is and how hard the nemesis hits. `ci` is bounded for CI (fixed seeds, a
 * few minutes in all on two cores); `soak` is the long run (docs/NEMESIS.md). Every duration the
 * spawned processes use is here, so the timing argument can be read in one place:
 *
 * - the gateway client gives up after `answerTimeoutMs`;
 * - a late delivery the system must survive without a trace lands at most `late.survive[1]` after the
 *   request: well inside the terminal window (`terminalWindowMs`), so the status query that could
 *   declare the POST lost runs after it has landed;
 * - a late delivery beyond the window lands `late.beyond` after the request, before the horizon
 *   (`reconcileHorizonMs`), so the re-verification at the horizon sees it;
 * - pauses and partitions "past the lock" last longer than `WORKER_LOCK_MS` plus the stalled check,
 *   and the targeted ones (at a claim) longer than lock + window, so another worker has taken over
 *   and, in a design that resends, resent before the stopped worker wakes up.
 */
export type ProfileName = 'ci' | 'soak';

export type Range = readonly [number, number];

export interface Profile {
  name: ProfileName;
  /** Seeds run when `--seed` is not given. */
  seeds: number[];
  /** Load duration per seed (minutes); `--minutes` overrides. */
  minutes: number;
  terminals: number;
  /** Worker processes (the first one reaches Redis through the partition proxy). */
  workers: number;
  chargesPerSecond: number;
  /** Random faults per minute of load, on top of the mandatory ones. */
  faultsPerMinute: number;
  /** Fault kinds every seed gets at least once (the ones that found bugs before). */
  mandatory: string[];
  /** Largest clock offset of a worker host (ms, either sign). */
  clockSkewMs: number;
  /** Upper bound on waiting for every operation to reach a final state after the load. */
  settleMs: number;
  /** After everything is final: how long a violation that a re-verification may still clear is given. */
  reverifyGraceMs: number;
  sim: { serviceMs: Range; followUpMs: number; printMs: number };
  late: { survive: Range; beyond: Range };
  pause: { random: Range; atClaim: Range };
  partition: { random: Range; atClaim: Range };
  down: { worker: Range; api: Range; redis: Range };
  offline: { short: Range; long: Range };
  /** Environment of the API and worker processes (timings). */
  env: Record<string, string>;
}

/** Timings shared by both profiles (ms): see the header. */
const TIMINGS = {
  MYPAY_ANSWER_TIMEOUT_MS: '1000',
  MYPAY_CONNECT_TIMEOUT_MS: '500',
  WORKER_CONCURRENCY: '20',
  WORKER_LOCK_MS: '2000',
  WORKER_STALLED_INTERVAL_MS: '1000',
  SWEEP_INTERVAL_MS: '250',
  LEASE_MS: '3000',
  RETRY_DEADLINE_MS: '6000',
  PRINT_COOLDOWN_MS: '400',
  POLL_DENSE_MS: '250',
  // Dense for the whole (compressed) window, no quiet phase; no cap on queries (the faults, not the cap, are under test).
  POLL_QUIET_MS: '0',
  GATEWAY_QUERIES_PER_SECOND: '0',
  TERMINAL_WINDOW_MS: '5000',
  RECONCILE_HORIZON_MS: '12000',
  RECONCILE_MAX_INTERVAL_MS: '1000',
  // The fenced claim and the janitor of the money-safety work (ignored by code without them; the
  // names are not MYPAY_/SIM_ prefixed, so an older config does not refuse them).
  CLAIM_BUDGET_MS: '1500',
  CLAIM_FENCE_MS: '3000',
  JANITOR_INTERVAL_MS: '2000',
  LOG_LEVEL: 'info',
  METRICS_PORT: '0',
};

const CI: Profile = {
  name: 'ci',
  // Two fixed seeds (three before the events, webhook and console suites joined the CI run); the soak runs 24.
  seeds: [1, 2],
  minutes: 0.5,
  terminals: 6,
  workers: 3,
  chargesPerSecond: 2,
  faultsPerMinute: 16,
  mandatory: ['partition-at-claim:charge', 'pause-at-claim:refund', 'gw-late-beyond:refund', 'gw-late-survive:refund', 'gw-late-beyond:charge', 'gw-late-survive:charge', 'gw-late-beyond:refund'],
  clockSkewMs: 1000,
  settleMs: 60_000,
  reverifyGraceMs: 15_000,
  sim: { serviceMs: [80, 200], followUpMs: 300, printMs: 100 },
  late: { survive: [1500, 2500], beyond: [7500, 9000] },
  pause: { random: [2500, 5000], atClaim: [10_000, 11_000] },
  partition: { random: [1000, 5000], atClaim: [10_000, 11_000] },
  down: { worker: [200, 1500], api: [300, 1500], redis: [500, 2000] },
  offline: { short: [500, 4000], long: [6500, 8000] },
  env: { ...TIMINGS },
};

const SOAK: Profile = {
  ...CI,
  name: 'soak',
  seeds: Array.from({ length: 24 }, (_, i) => 101 + i),
  minutes: 2.5,
  terminals: 10,
  chargesPerSecond: 3,
  faultsPerMinute: 20,
  clockSkewMs: 1000,
  settleMs: 90_000,
  pause: { random: [2500, 8000], atClaim: [10_000, 12_000] },
  partition: { random: [1000, 8000], atClaim: [10_000, 12_000] },
  down: { worker: [200, 3000], api: [300, 3000], redis: [500, 4000] },
};

export const PROFILES: Record<ProfileName, Profile> = { ci: CI, soak: SOAK };
