/** What the HTTP app needs from the rest of the process. */
import type { Logger } from 'pino';
import type { Producer } from '../producers/index.js';
import type { Core } from '../queues/core.js';
import type { Metrics } from '../metrics/index.js';
import type { BasicCredentials } from './auth.js';
import type { DurabilityInspection } from '../store/durability.js';
import type { AttentionSources } from './views/attention.js';

export interface ApiOptions {
  core: Core;
  producer: Producer;
  /** Store uids this deployment acts for (configured merchants). */
  stores: readonly string[];
  /** Bearer keys (`API_KEYS`); at least one. */
  apiKeys: readonly string[];
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
