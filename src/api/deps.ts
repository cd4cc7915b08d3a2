/** What the HTTP app needs from the rest of the process. */
import type { Logger } from 'pino';
import type { Producer } from '../producers/index.js';
import type { Core } from '../queues/core.js';
import type { Metrics } from '../metrics/index.js';
import type { BasicCredentials } from './auth.js';
import type { DurabilityInspection } from '../store/durability.js';
import type { AttentionSources } from './views/attention.js';
import type { ApiKeyEntry } from '../config/api-keys.js';

/** `POST /v1/callbacks/mypay`: who may call it, and how often it may ask the gateway. */
export interface CallbackOptions {
  /** Shared secret per store (`callback_secret`, `MYPAY_CALLBACK_SECRET`); a store absent needs none. */
  secrets?: Readonly<Record<string, string>>;
  /** At most one gateway query per order in this window (ms). Default 3 000 (`CALLBACK_COALESCE_MS`). */
  coalesceMs?: number;
  /** Callbacks per second per client address (`CALLBACK_RATE_PER_SECOND`). Default 20. */
  ratePerSecond?: number;
  /** Burst per client address (`CALLBACK_RATE_BURST`). Default 40. */
  burst?: number;
}

export interface ApiOptions {
  core: Core;
  producer: Producer;
  /** Store uids this deployment acts for (configured merchants). */
  stores: readonly string[];
  /** Bearer keys (`API_KEYS`): every store, role write. With {@link scopedKeys}, at least one key in all. */
  apiKeys: readonly string[];
  /** Scoped keys (`API_KEYS_FILE`): each with the stores it may act on and its role (read: GET only). */
  scopedKeys?: readonly ApiKeyEntry[];
  /** Configured terminals per store (`devices`, `MYPAY_DEVICES`): listed by `GET /v1/devices` before their first use. The producer refuses others (give it the same map). */
  terminals?: Readonly<Record<string, readonly string[]>>;
  /** The gateway callback's secrets, coalescing and rate limit. */
  callbacks?: CallbackOptions;
  /** Bull Board login (`ADMIN_USER` / `ADMIN_PASSWORD`). */
  admin: BasicCredentials;
  /** Largest request body in bytes. Default 102 400. */
  bodyLimitBytes?: number;
  /** Bull Board without mutating actions. Default false. */
  boardReadOnly?: boolean;
  metrics?: Metrics;
  /** In-process workers, if this process runs them (readiness checks they are running). */
  workers?: { running(): boolean };
  /** What the workers found of Redis' durability at start-up (shown by /readyz; never fails it). */
  durability?: DurabilityInspection;
  /** Extra sources of the attention list (failed webhook deliveries, when webhooks run). */
  attention?: AttentionSources;
  logger: Logger;
}
