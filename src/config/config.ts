/**
 * Configuration, parsed once from the environment by zod: the one place that reads `process.env`,
 * so every setting has one name, one type and one default, and a typo fails the start instead of
 * falling back to a default (unknown `MYPAY_*` / `SIM_*` variables are rejected). The settings table
 * of docs/OPERATIONS.md is generated from this schema (scripts/env-table.ts).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MypayError } from '../domain/errors.js';
import { DEFAULT_RETRY_SCHEDULE_MS, eventTypesSchema, retryScheduleSchema, storeWebhookSchema, webhookSecretListSchema } from './webhooks.js';

/** The spec's public test merchant (appendix samples). Safe to commit; used only for the simulator/demo. */
export const TEST_MERCHANT = { storeUid: '289151880002', key: 'KYTjd9ACcjGaTK6V3zWmMkyrQS08Ndcx' } as const;
/** The spec's two gateway hosts (介接網址). */
export const SPEC_GATEWAY_HOSTS = ['pay.usecase.cc', 'ka.mypay.tw'] as const;

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
/** Durations and counts where 0 would break a guarantee (a lease that expires at once, a claim with no budget). */
const pos = (def: number) => z.coerce.number().int().positive().default(def);
const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** A terminal's name (`device_name`) as configured: what a request's `device_name` must equal. */
export const deviceNameSchema = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters');

/** The terminals of a store (`devices` in the stores file, `MYPAY_DEVICES`): at least one, each once. */
export const deviceListSchema = z
  .array(deviceNameSchema)
  .min(1, 'list at least one terminal, or leave devices out to accept any terminal')
  .max(10_000, 'at most 10 000 terminals per store')
  .superRefine((names, ctx) => {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) ctx.addIssue({ code: 'custom', message: `terminal ${n} is listed twice` });
      seen.add(n);
    }
  });

/** A shared secret the gateway sends with its callbacks (a query parameter or a header): URL-safe, 16–128 characters. */
export const callbackSecretSchema = z
  .string()
  .regex(/^[A-Za-z0-9._~-]{16,128}$/, 'must be 16 to 128 characters of letters, digits, ., _, ~ and - (URL-safe; e.g. openssl rand -hex 32)');

export const storeSchema = z.object({
  store_uid: z.string().min(1).max(16),
  key: z.string().refine((k) => Buffer.byteLength(k) === 32, 'merchant key must be 32 bytes'),
  /** Webhook endpoints of this store (docs/WEBHOOKS.md); `[]`: none, not even `WEBHOOK_URL`. */
  webhooks: z.array(storeWebhookSchema).max(10, 'at most 10 endpoints per store').optional(),
  /** The store's terminals: charges, refunds and reprints name one of them; unset: any terminal (known from its first operation). */
  devices: deviceListSchema.optional(),
  /** Shared secret of the gateway's callbacks for this store (`?secret=` or `X-Mypay-Callback-Secret`); unset: callbacks need none. */
  callback_secret: callbackSecretSchema.optional(),
});
export type StoreCredentials = z.infer<typeof storeSchema>;

/** `redis+cluster://host:port,host:port` — a Redis Cluster's seed nodes (src/app/runtime.ts `connectRedis`); not a WHATWG URL. */
const CLUSTER_URL = /^redis\+cluster:\/\/[^\s,:/]+:\d{1,5}(,[^\s,:/]+:\d{1,5})*$/;

export const envSchema = z.object({
  /** Redis connection: `redis://…`, `rediss://…`, or `redis+cluster://host:port,host:port` for a Redis Cluster; unset → `npm start` uses 127.0.0.1:6379 or starts a local redis-server. */
  REDIS_URL: z
    .string()
    .refine((s) => CLUSTER_URL.test(s) || (!s.startsWith('redis+cluster:') && URL.canParse(s)), 'must be a redis:// URL, or redis+cluster://host:port,host:port')
    .optional(),
  /** Gateway endpoint (e.g. `https://ka.mypay.tw/api/init`). Required by `--role api` and `--role worker`, and by `npm start` with `NODE_ENV=production` unless `MYPAY_MODE=demo`; unset otherwise → `npm start` runs the bundled simulator (demo). */
  MYPAY_URL: z.string().url().optional(),
  /** `demo`: `npm start` runs the bundled simulator as the gateway even with `NODE_ENV=production` (MYPAY_URL must then be unset). Unset: the simulator runs only while `NODE_ENV` is not `production`. */
  MYPAY_MODE: z.enum(['demo']).optional(),
  /** `production`: a missing `MYPAY_URL` refuses to start instead of running the bundled simulator (the Docker image sets it). */
  NODE_ENV: z.string().optional(),
  /** One merchant's 商務代號 (store_uid), with `MYPAY_STORE_KEY`; or use `MYPAY_STORES_FILE`. */
  MYPAY_STORE_UID: z.string().max(16).optional(),
  /** That merchant's 32-byte key (AES-256). A secret: never logged, never in job data. */
  MYPAY_STORE_KEY: z.string().optional(),
  /** JSON file `[{store_uid, key, devices?, callback_secret?, webhooks?}, …]` for several merchants (§4). */
  MYPAY_STORES_FILE: z.string().optional(),
  /** The terminals of the `MYPAY_STORE_UID` merchant (comma-separated `device_name`s): requests naming another are refused, and `GET /v1/devices` lists each even before its first use. Unset: any terminal. With `MYPAY_STORES_FILE`: `devices` per store in the file. */
  MYPAY_DEVICES: list,
  /** Shared secret the gateway must send with the `MYPAY_STORE_UID` merchant's callbacks (`?secret=` in the callback URL or `X-Mypay-Callback-Secret`); 16–128 URL-safe characters. A secret: never logged. With `MYPAY_STORES_FILE`: `callback_secret` per store. */
  MYPAY_CALLBACK_SECRET: z.string().optional(),
  /** Extra gateway hosts beyond the spec's two (comma-separated). */
  MYPAY_ALLOWED_HOSTS: list,
  /** TCP+TLS connect timeout to the gateway. Default 5 000 ms. */
  MYPAY_CONNECT_TIMEOUT_MS: pos(5_000),
  /** Time to wait for the gateway's answer once the request is sent. Default 15 000 ms. */
  MYPAY_ANSWER_TIMEOUT_MS: pos(15_000),
  /** Extra CA bundle (PEM file) to trust for the gateway, e.g. the simulator's self-signed cert. */
  MYPAY_CA_FILE: z.string().optional(),
  /** Status queries (`api/querydirect`) per store and second that reach the gateway, across every API and worker process (a sliding window in Redis); a query without a slot within 250 ms is not sent and is asked again later. Never applies to charges, refunds or reprints. 0 = no cap. Default 20. */
  GATEWAY_QUERIES_PER_SECOND: int(20),
  /** HTTP API and Bull Board port (`npm start`, `npm run api`). Default 3000. */
  PORT: int(3000),
  /** Bearer keys for the HTTP API (comma-separated): each may act on every store (role write). */
  API_KEYS: list,
  /** JSON or YAML file of scoped API keys: per key a `name`, `key` or `key_sha256`, the `stores` it may act on (or `"*"`) and a `role` (`write`, or `read`: look-ups only); see docs/OPERATIONS.md §4. May be set with `API_KEYS`. */
  API_KEYS_FILE: z.string().optional(),
  /** `POST /v1/callbacks/mypay`: at most one gateway query per order in this window, however many callbacks come (ms). Default 3 000. */
  CALLBACK_COALESCE_MS: pos(3_000),
  /** `POST /v1/callbacks/mypay`: callbacks per second one client address may send (token bucket, in memory per API process; over it: 429). Default 20. */
  CALLBACK_RATE_PER_SECOND: z.coerce.number().positive().default(20),
  /** `POST /v1/callbacks/mypay`: the bucket's size, a burst one client address may send at once. Default 40. */
  CALLBACK_RATE_BURST: pos(40),
  /** Bull Board (/admin/queues) Basic-auth user; required with `MYPAY_URL` set (demo: generated). */
  ADMIN_USER: z.string().optional(),
  /** Bull Board Basic-auth password, set together with `ADMIN_USER`. */
  ADMIN_PASSWORD: z.string().optional(),
  /** Listen address of the HTTP server. Default 127.0.0.1 (set 0.0.0.0 in a container). */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Largest request body the HTTP API accepts, in bytes (larger → 413). Default 102 400 (100 KiB). */
  API_BODY_LIMIT_BYTES: pos(102_400),
  /** `1`: Bull Board shows queues and jobs but offers no retry/remove/clean/pause. Default `0`. */
  BULL_BOARD_READ_ONLY: z.enum(['0', '1']).default('0'),
  /** `1`: `npm start` also runs the demo traffic generator (`npm run demo` sets it). Default `0`. */
  DEMO: z.enum(['0', '1']).default('0'),
  /** Demo traffic: operations started per second. Default 1. */
  DEMO_RATE: z.coerce.number().positive().max(100).default(1),
  /** `npm run demo` against an API that is already running (its base URL, with `API_KEYS`), instead of starting one. */
  DEMO_API_URL: z.string().url().optional(),
  /** Demo mode (`npm start` without `MYPAY_URL`): where the bundled simulator keeps its orders (`simulator.json`) and the generated API key and login are kept (`demo-credentials.json`); never used otherwise. Default `.data`. */
  DEMO_DATA_DIR: z.string().min(1).default('.data'),
  /** Data directory of the redis-server `npm start` starts itself (AOF on). Default `.data/redis`. */
  REDIS_DATA_DIR: z.string().min(1).default('.data/redis'),
  /** `npm run worker`: port of its /healthz, /readyz and /metrics (0 = none). Default 9464. */
  METRICS_PORT: int(9464),
  /** BullMQ/key prefix; every key carries the hash tag `{prefix}` for Redis Cluster. Default `mypay`. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('mypay'),
  /** Jobs in flight per queue (device, status) in one worker process. Default 50. */
  WORKER_CONCURRENCY: pos(50),
  /** BullMQ job lock: a worker that stops renewing it for this long loses the job to another (ms). Default 30 000. */
  WORKER_LOCK_MS: pos(30_000),
  /** BullMQ stalled-job check interval (ms). Default 30 000. */
  WORKER_STALLED_INTERVAL_MS: pos(30_000),
  /** Lease sweeper interval (ms). Default 5 000. */
  SWEEP_INTERVAL_MS: pos(5_000),
  /** Lease expiry on top of what an operation is known to need (ms). Default 30 000. */
  LEASE_MS: pos(30_000),
  /** Terminal offline/busy: keep retrying at the head of its line this long (ms). Default 120 000. */
  RETRY_DEADLINE_MS: pos(120_000),
  /** Terminal reserved after a reprint's B200 (ms); 0 hands the terminal on at once. Default 3 000. */
  PRINT_COOLDOWN_MS: int(3_000),
  /** Status follow-up: poll interval of the dense phase, while the terminal's answer is likely (ms). Default 2 000. */
  POLL_DENSE_MS: pos(2_000),
  /** Status follow-up: no query before this long after the POST, while the customer is still tapping or inserting the card (ms); 0 = none. Must be shorter than `TERMINAL_WINDOW_MS`. Default 6 000. */
  POLL_QUIET_MS: int(6_000),
  /** Status follow-up: the dense phase ends this long after the POST; `POLL_TAIL_MS` applies from then to the end of the terminal window (ms). 0 = no dense phase (e.g. with the gateway's callbacks as the fast path); at or beyond `TERMINAL_WINDOW_MS`: dense to the window's end. Default 60 000. */
  POLL_DENSE_UNTIL_MS: int(60_000),
  /** Status follow-up: poll interval from `POLL_DENSE_UNTIL_MS` to the end of the terminal window (ms). Default 5 000. */
  POLL_TAIL_MS: pos(5_000),
  /** Status follow-up: the customer-at-the-terminal window (ms). Default 180 000. */
  TERMINAL_WINDOW_MS: pos(180_000),
  /** Status follow-up: horizon after which an operation is `unresolved` (ms). Default 86 400 000 (24 h). */
  RECONCILE_HORIZON_MS: pos(86_400_000),
  /** Longest reconciliation interval (ms). Default 3 600 000. */
  RECONCILE_MAX_INTERVAL_MS: pos(3_600_000),
  /** Claim budget: a worker POSTs only within this long of sending its claim to Redis, else it gives up without POSTing (ms). Default 5 000. */
  CLAIM_BUDGET_MS: pos(5_000),
  /** Claim fence: nobody takes a claimed operation over before this long after the claim (Redis' clock, ms); must exceed CLAIM_BUDGET_MS by 1 000. Default 20 000. */
  CLAIM_FENCE_MS: pos(20_000),
  /** A gateway row finished more than this long before our first POST is not ours (gateway clock tolerance, ms). Default 120 000. */
  GATEWAY_CLOCK_TOLERANCE_MS: pos(120_000),
  /** A charge's order_id stays refused for reuse this many days after its first use (longer than the records). Default 400. */
  ORDER_TOMBSTONE_DAYS: pos(400),
  /** Janitor pass interval: re-creates the follow-up of any open operation that lost it (ms). Default 30 000. */
  JANITOR_INTERVAL_MS: pos(30_000),
  /** Durability Redis must give a claim before a POST: `always` (AOF with appendfsync always), `everysec`, `none` (tests, demo); workers report at start-up (log, /readyz, metric) when Redis is below it. Default `always`. */
  REDIS_DURABILITY: z.enum(['always', 'everysec', 'none']).default('always'),
  /** Keep final payment records this many days. Default 90. */
  RECORD_RETENTION_DAYS: pos(90),
  /** Batch refunds: bulk-lane sends per second across all workers; 0 = no limit. Default 0. */
  BATCH_RATE_LIMIT_PER_S: z.coerce.number().nonnegative().default(0),
  /** Batch refunds: refunds per enqueue pipeline (one round of scripts and one addBulk). Default 500. */
  BATCH_ENQUEUE_CONCURRENCY: z.coerce.number().int().positive().default(500),
  /** Batch refunds: the tracker's pass for missed wake-ups (ms). Default 15 000. */
  BATCH_RECONCILE_MS: z.coerce.number().int().positive().default(15_000),
  /** Default webhook endpoint (docs/WEBHOOKS.md): receives the events of every store that has no `webhooks` of its own in `MYPAY_STORES_FILE`. https, or http to an allow-listed loopback host; its host must be in `WEBHOOK_ALLOWED_HOSTS`. */
  WEBHOOK_URL: z.string().url().optional(),
  /** Signing secret(s) of `WEBHOOK_URL` (Standard Webhooks `whsec_…`, comma-separated, at most 2: while rotating, every delivery carries both signatures). A secret: never logged. */
  WEBHOOK_SECRET: list.pipe(webhookSecretListSchema),
  /** Event types `WEBHOOK_URL` receives (comma-separated, e.g. `charge.paid,refund.refunded`); unset: every type. */
  WEBHOOK_TYPES: list.pipe(eventTypesSchema),
  /** Hosts webhook endpoints may point at (comma-separated; the default endpoint and every store's). */
  WEBHOOK_ALLOWED_HOSTS: list,
  /** Extra CA bundle (PEM file) to trust for webhook endpoints (TLS ≥ 1.2, certificates verified). */
  WEBHOOK_CA_FILE: z.string().optional(),
  /** One webhook request's time limit, connect to the end of the answer (ms). Default 10 000. */
  WEBHOOK_TIMEOUT_MS: pos(10_000),
  /** Webhook deliveries in flight per worker process (the `notify` queue). Default 50. */
  WEBHOOK_CONCURRENCY: pos(50),
  /** Webhook requests in flight to one endpoint across all processes. Default 10. */
  WEBHOOK_ENDPOINT_CONCURRENCY: pos(10),
  /** Delays between attempts of a delivery (ms, comma-separated, jittered ±20 %); the last one repeats until `WEBHOOK_RETRY_HORIZON_MS`. Default 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h. */
  WEBHOOK_RETRY_SCHEDULE_MS: z.string().default(DEFAULT_RETRY_SCHEDULE_MS.join(',')).transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)).pipe(retryScheduleSchema),
  /** A delivery is retried while its retries add up to at most this long (3 days by default), then it fails and waits for a replay (ms). Default 259 200 000. */
  WEBHOOK_RETRY_HORIZON_MS: pos(259_200_000),
  /** Failed requests in a row that open an endpoint's circuit (its deliveries then wait for a probe). Default 5. */
  WEBHOOK_BREAKER_FAILURES: pos(5),
  /** An open circuit lets one probe through after this long (ms). Default 30 000. */
  WEBHOOK_BREAKER_COOLDOWN_MS: pos(30_000),
  /** pino log level (JSON lines on stdout). Default `info`. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Simulator port (`npm run simulator`; the bundled one of `npm start` falls back to a free port). Default 4010. */
  SIM_PORT: int(4010),
  /** `1`: the simulator serves HTTPS with a self-signed certificate (TLS ≥ 1.2). Default `0`. */
  SIM_TLS: z.enum(['0', '1']).default('0'),
  /** Simulated terminals per store: a count (`A01`, `A02`, …) or a comma-separated list of names. Default 10. */
  SIM_DEVICES: z.string().default('10'),
  /** A simulated terminal's time per charge or refund (ms). Default 1 500. */
  SIM_SERVICE_MS: int(1_500),
  /** Where the simulator posts result callbacks (the demo points it at the API's callback route). */
  SIM_CALLBACK_URL: z.string().url().optional(),
  /** Simulator listen address. Default 127.0.0.1. */
  SIM_HOST: z.string().min(1).default('127.0.0.1'),
  /** Extra random service time per operation, uniform in [0, jitter]. Default 0. */
  SIM_SERVICE_JITTER_MS: int(0),
  /** A terminal's time per reprint. Default 1 000 ms. */
  SIM_PRINT_MS: int(1_000),
  /** Delay between outcome steps (A0001 → 250 …). Default 3 000 ms. */
  SIM_FOLLOW_UP_MS: int(3_000),
  /** Journal ring-buffer size. Default 10 000 entries. */
  SIM_JOURNAL_SIZE: int(10_000),
  /** With SIM_TLS=1: also write the self-signed certificate PEM here (point MYPAY_CA_FILE at it). */
  SIM_CA_FILE: z.string().optional(),
  /** The simulator's answer to a repeated order_id: `refuse` (B500 訂單編號已存在) or `accept` (a new order, as a gateway that does not de-duplicate). Default `refuse`. */
  SIM_DUPLICATE_ORDERS: z.enum(['refuse', 'accept']).default('refuse'),
});

export type Env = z.infer<typeof envSchema>;

/**
 * A setting refused at start-up: never retryable (the same environment fails the same way). `lines`
 * holds one line per variable at fault, each naming the variable and what to set; the process prints
 * them one per line and exits.
 */
export class ConfigError extends MypayError {
  readonly code = 'CONFIG';
  readonly retryable = false;
  readonly httpStatus = 500;
  readonly title = 'Configuration refused';
  readonly lines: readonly string[];
  constructor(lines: string | readonly string[]) {
    const all = typeof lines === 'string' ? [lines] : [...lines];
    super(all.join('\n'));
    this.name = 'ConfigError';
    this.lines = all;
  }
}

/** zod issues → one line per variable (`NAME: message; message`), in the order the variables failed. */
function linesPerVariable(issues: readonly z.core.$ZodIssue[], name: (path: readonly PropertyKey[]) => string = (p) => p.map(String).join('.')): string[] {
  const byVariable = new Map<string, string[]>();
  for (const i of issues) {
    const key = name(i.path);
    byVariable.set(key, [...(byVariable.get(key) ?? []), i.message]);
  }
  return [...byVariable].map(([key, messages]) => `${key}: ${messages.join('; ')}`);
}

const OWN_PREFIXES = ['MYPAY_', 'SIM_', 'WEBHOOK_'];

/** Parses the environment; throws {@link ConfigError} with one line per bad variable. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const known = new Set(Object.keys(envSchema.shape));
  const unknown = Object.keys(source).filter((k) => OWN_PREFIXES.some((p) => k.startsWith(p)) && !known.has(k));
  const lines = unknown.map((k) => `${k}: unknown setting (a typo? see docs/OPERATIONS.md › Settings)`);
  const relevant = Object.fromEntries(Object.entries(source).filter(([k, v]) => known.has(k) && v !== ''));
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) lines.push(...linesPerVariable(parsed.error.issues));
  if (lines.length || !parsed.success) throw new ConfigError(lines);
  return parsed.data;
}

/** The merchants this process may act for: the stores file, or the single store from env. */
export function loadStores(env: Env): StoreCredentials[] {
  // MYPAY_DEVICES and MYPAY_CALLBACK_SECRET belong to the one merchant of the environment.
  const single = { devices: env.MYPAY_DEVICES.length ? env.MYPAY_DEVICES : undefined, callback_secret: env.MYPAY_CALLBACK_SECRET };
  const names: Record<string, string> = { store_uid: 'MYPAY_STORE_UID', key: 'MYPAY_STORE_KEY', devices: 'MYPAY_DEVICES', callback_secret: 'MYPAY_CALLBACK_SECRET' };
  if (env.MYPAY_STORES_FILE) {
    const misplaced = (['devices', 'callback_secret'] as const).filter((f) => single[f] !== undefined);
    if (misplaced.length) throw new ConfigError(misplaced.map((f) => `${names[f]}: applies to MYPAY_STORE_UID only; with MYPAY_STORES_FILE give each store its ${f} in the file`));
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(env.MYPAY_STORES_FILE, 'utf8'));
    } catch (err) {
      throw new ConfigError(`MYPAY_STORES_FILE: cannot read JSON (${(err as Error).message})`);
    }
    const parsed = z.array(storeSchema).min(1).safeParse(raw);
    if (!parsed.success) throw new ConfigError(`MYPAY_STORES_FILE: ${linesPerVariable(parsed.error.issues).join('; ')}`);
    const uids = parsed.data.map((s) => s.store_uid);
    const twice = uids.filter((uid, i) => uids.indexOf(uid) !== i);
    if (twice.length) throw new ConfigError(`MYPAY_STORES_FILE: store ${[...new Set(twice)].join(', ')} is listed more than once`);
    return parsed.data;
  }
  const extra = { ...(single.devices ? { devices: single.devices } : {}), ...(single.callback_secret !== undefined ? { callback_secret: single.callback_secret } : {}) };
  // No merchant and no gateway: the spec's test merchant (demo), which MYPAY_DEVICES and MYPAY_CALLBACK_SECRET may describe.
  const demo = !env.MYPAY_STORE_UID && !env.MYPAY_STORE_KEY && !env.MYPAY_URL;
  if (env.MYPAY_STORE_UID || env.MYPAY_STORE_KEY || demo) {
    const merchant = demo ? { store_uid: TEST_MERCHANT.storeUid, key: TEST_MERCHANT.key } : { store_uid: env.MYPAY_STORE_UID, key: env.MYPAY_STORE_KEY };
    const parsed = storeSchema.safeParse({ ...merchant, ...extra });
    if (!parsed.success) throw new ConfigError(linesPerVariable(parsed.error.issues, (p) => names[String(p[0])] ?? 'MYPAY_STORE_UID'));
    return [parsed.data];
  }
  throw new ConfigError('MYPAY_URL is set but no merchant: set MYPAY_STORE_UID and MYPAY_STORE_KEY, or MYPAY_STORES_FILE');
}

/** Configured terminals per store (stores without a `devices` list are absent: any terminal). */
export function terminalsOf(stores: readonly StoreCredentials[]): Record<string, readonly string[]> {
  return Object.fromEntries(stores.flatMap((s) => (s.devices ? [[s.store_uid, s.devices] as const] : [])));
}

/** Callback secrets per store (stores without one are absent). */
export function callbackSecretsOf(stores: readonly StoreCredentials[]): Record<string, string> {
  return Object.fromEntries(stores.flatMap((s) => (s.callback_secret ? [[s.store_uid, s.callback_secret] as const] : [])));
}
