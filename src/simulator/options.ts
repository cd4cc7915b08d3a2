/** Options of {@link createSimulator}, with their defaults. */
import type { Clock } from './clock.js';
import type { SimStore } from './stores.js';

/** What the gateway does with a charge whose order_id the store already has (docs/SIMULATOR.md). */
export const DUPLICATE_ORDERS = ['refuse', 'accept'] as const;
export type DuplicateOrders = (typeof DUPLICATE_ORDERS)[number];

/** A time per operation: fixed, uniform in `[minMs, maxMs]`, or drawn by a function. */
export type Duration = number | { minMs: number; maxMs: number } | (() => number);

export interface SimulatorOptions {
  /** TCP port. Default 0: a free port (read it from `simulator.port`). */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** HTTPS with a self-signed certificate made by `openssl` at start (TLS ≥ 1.2). Default false. */
  tls?: boolean;
  /** With `tls`: also write the certificate PEM to this path. Default: only a temporary file. */
  caFile?: string;
  /** Merchants. Default: the spec's test merchant `289151880002` and its key. */
  stores?: SimStore[];
  /** Terminals per store: a count (`A01`…) or names, as `SIM_DEVICES`. Default 10. */
  devices?: number | string | string[];
  /** Terminal time for a charge or refund. Default 0 (done before the answer is sent). */
  serviceMs?: Duration;
  /** Terminal time for a reprint. Default 0. */
  printMs?: Duration;
  /** Delay between outcome steps (A0001 → 250 …) that set no `afterMs`. Default 0. */
  followUpMs?: number;
  /** Choose charge outcomes by the amount's last two digits (docs/SIMULATOR.md). Default true. */
  amountOutcomes?: boolean;
  /**
   * A repeated order_id: `refuse` answers B500 訂單編號「X」已存在 (default); `accept` charges it again
   * as a new order with its own uid and key, like a gateway that does not de-duplicate.
   */
  duplicateOrders?: DuplicateOrders;
  /** Seed the spec's sample uid/key pairs (70233, 88833) as paid orders of the test merchant. Default true. */
  seedSpecSamples?: boolean;
  /** Journal capacity (ring buffer). Default 10 000 entries. */
  journalSize?: number;
  /** Where result callbacks are posted. Default: none. */
  callbackUrl?: string;
  /**
   * Keep the ledger in this JSON file (docs/SIMULATOR.md › State file): loaded at start, saved
   * atomically at most every 500 ms after a change and on close; orders in flight go on to their
   * outcome after a restart. Default: none (in memory only; `npm run simulator` and the tests).
   */
  stateFile?: string;
  /** With `stateFile`: orders kept in it, the newest first. Default 10 000. */
  stateMaxOrders?: number;
  /** With `stateFile`: told when a save fails (the next change tries again). Default: ignored. */
  onStateError?: (err: Error) => void;
  /** Injectable time. Default: the system clock. */
  clock?: Clock;
  /** Injectable randomness for probabilistic faults and uniform durations. Default Math.random. */
  random?: () => number;
}

export function durationFn(d: Duration | undefined, random: () => number): () => number {
  if (d === undefined) return () => 0;
  if (typeof d === 'number') return () => d;
  if (typeof d === 'function') return d;
  const { minMs, maxMs } = d;
  return () => Math.round(minMs + random() * Math.max(0, maxMs - minMs));
}
