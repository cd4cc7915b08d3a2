/**
 * Webhook endpoints (docs/WEBHOOKS.md › Configuration): the default one (`WEBHOOK_URL`) and each store's
 * (`webhooks` in `MYPAY_STORES_FILE`), checked once at start-up like the gateway's URL (TLS ≥ 1.2,
 * host allow-list `WEBHOOK_ALLOWED_HOSTS`, plain http only to an allow-listed loopback host). A bad
 * setting is one line naming its variable ({@link ConfigError}). Secrets stay inside each endpoint's
 * `sign`: an endpoint object can be logged without leaking them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { bareHost, judgeUrl } from '../../gateway/url-policy.js';
import { ConfigError, type Env, type StoreCredentials } from '../../config/config.js';
import { ENDPOINT_ID } from '../../config/webhooks.js';
import type { EventType } from '../../domain/events.js';

export interface WebhookEndpoint {
  /** Stable id: in job ids, Redis keys, metrics and the API (`default` for `WEBHOOK_URL`). */
  readonly id: string;
  readonly url: string;
  /** Host without IPv6 brackets, lower case. */
  readonly host: string;
  /** The store whose events it receives; null for the default endpoint (every store without endpoints of its own). */
  readonly store: string | null;
  /** Event types it receives; null: every type. */
  readonly types: ReadonlySet<string> | null;
  /** `webhook-signature`: one `v1,<base64>` per secret, space-separated (two while rotating). */
  sign(msgId: string, at: Date, body: string): string;
  /** How many secrets sign (1, or 2 while rotating). */
  readonly secretCount: number;
}

export interface WebhookEndpoints {
  readonly list: readonly WebhookEndpoint[];
  get(id: string): WebhookEndpoint | undefined;
  /** The endpoints an event of `store` with `type` goes to. */
  route(store: string, type: string): WebhookEndpoint[];
  /** Extra CA (PEM) for the endpoints' TLS (`WEBHOOK_CA_FILE`). */
  readonly ca?: Buffer;
}

/** Why `raw` may not be a webhook URL (null: fine). The gateway's rule (gateway/url-policy.ts judgeUrl) in a webhook's words. */
export function webhookUrlProblem(raw: string, allowedHosts: readonly string[]): string | null {
  const v = judgeUrl(raw, allowedHosts);
  if (v.ok) return null;
  switch (v.why) {
    case 'invalid':
      return 'is not a valid URL';
    case 'credentials':
      return 'must not carry credentials (sign with the secret instead)';
    case 'host':
      return `host ${v.host} is not in WEBHOOK_ALLOWED_HOSTS (${v.allowed.length ? v.allowed.join(', ') : 'empty'})`;
    case 'plain_http':
      return `plain http is only allowed to a loopback host, not ${v.host}: use https`;
    case 'scheme':
      return `scheme ${v.protocol} is not supported: use https`;
  }
}

function endpoint(o: { id: string; url: string; store: string | null; secrets: readonly string[]; types?: readonly string[] }): WebhookEndpoint {
  const signers = o.secrets.map((s) => new Webhook(s));
  const types = o.types && o.types.length ? new Set(o.types) : null;
  const host = bareHost(new URL(o.url).hostname);
  const ep: WebhookEndpoint = {
    id: o.id,
    url: o.url,
    host,
    store: o.store,
    types,
    secretCount: signers.length,
    sign: (msgId, at, body) => signers.map((w) => w.sign(msgId, at, body)).join(' '),
  };
  // Logged or serialised, an endpoint shows no secret (they live in the signers' closure only), nor its URL's path (it may carry a token).
  Object.defineProperty(ep, 'toJSON', { enumerable: false, value: () => ({ id: o.id, host, store: o.store, types: o.types ?? null, secret_count: o.secrets.length }) });
  return ep;
}

/** A store endpoint's default id: stable for its store and URL (set `id` to keep pending deliveries when the URL changes). */
export function defaultEndpointId(store: string, url: string): string {
  return `ep_${createHash('sha256').update(`${store}|${url}`).digest('hex').slice(0, 12)}`;
}

export const DEFAULT_ENDPOINT_ID = 'default';

/** The endpoints of this deployment; throws {@link ConfigError} with one line per variable at fault. */
export function webhookEndpointsFromEnv(env: Env, stores: readonly StoreCredentials[]): WebhookEndpoints {
  const lines: string[] = [];
  const list: WebhookEndpoint[] = [];
  const allowed = env.WEBHOOK_ALLOWED_HOSTS;

  if (env.WEBHOOK_URL !== undefined) {
    const problem = webhookUrlProblem(env.WEBHOOK_URL, allowed);
    if (problem) lines.push(`WEBHOOK_URL: ${problem}`);
    if (env.WEBHOOK_SECRET.length === 0) lines.push('WEBHOOK_SECRET: required with WEBHOOK_URL (whsec_…; two, comma-separated, while rotating)');
    if (!problem && env.WEBHOOK_SECRET.length > 0) list.push(endpoint({ id: DEFAULT_ENDPOINT_ID, url: env.WEBHOOK_URL, store: null, secrets: env.WEBHOOK_SECRET, types: env.WEBHOOK_TYPES }));
  } else {
    if (env.WEBHOOK_SECRET.length > 0) lines.push('WEBHOOK_URL: required with WEBHOOK_SECRET');
    if (env.WEBHOOK_TYPES.length > 0) lines.push('WEBHOOK_URL: required with WEBHOOK_TYPES');
  }

  const storeProblems: string[] = [];
  const ids = new Map<string, string>(list.map((e) => [e.id, 'WEBHOOK_URL']));
  for (const s of stores) {
    (s.webhooks ?? []).forEach((w, i) => {
      const where = `store ${s.store_uid} webhooks[${i}]`;
      const problem = webhookUrlProblem(w.url, allowed);
      if (problem) {
        storeProblems.push(`${where}.url: ${problem}`);
        return;
      }
      const id = w.id ?? defaultEndpointId(s.store_uid, w.url);
      if (id === DEFAULT_ENDPOINT_ID || ids.has(id)) {
        storeProblems.push(`${where}.id: ${id} is already the id of ${ids.get(id) ?? 'the default endpoint'}`);
        return;
      }
      ids.set(id, where);
      list.push(endpoint({ id, url: w.url, store: s.store_uid, secrets: w.secrets, types: w.types }));
    });
  }
  if (storeProblems.length) lines.push(`MYPAY_STORES_FILE: ${storeProblems.join('; ')}`);

  let ca: Buffer | undefined;
  if (env.WEBHOOK_CA_FILE) {
    try {
      ca = readFileSync(env.WEBHOOK_CA_FILE);
    } catch (err) {
      lines.push(`WEBHOOK_CA_FILE: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (lines.length) throw new ConfigError(lines);
  return webhookEndpoints(list, { ca, storesWithOwn: stores.filter((s) => s.webhooks !== undefined).map((s) => s.store_uid) });
}

/**
 * Endpoints from code (tests, a library user). `storesWithOwn`: stores with an endpoint list of their
 * own (even empty) — the default endpoint receives every other store's events.
 */
export function webhookEndpoints(list: readonly WebhookEndpoint[], o: { ca?: Buffer; storesWithOwn?: readonly string[] } = {}): WebhookEndpoints {
  const byId = new Map(list.map((e) => [e.id, e]));
  const own = new Set([...(o.storesWithOwn ?? []), ...list.filter((e) => e.store !== null).map((e) => e.store!)]);
  const wants = (e: WebhookEndpoint, type: string) => !e.types || e.types.has(type);
  return {
    list,
    ca: o.ca,
    get: (id) => byId.get(id),
    route(store, type) {
      if (own.has(store)) return list.filter((e) => e.store === store && wants(e, type));
      return list.filter((e) => e.store === null && wants(e, type));
    },
  };
}

/** One endpoint from code: `id` must be a safe id (letters, digits, `_`, `-`). */
export function createWebhookEndpoint(o: { id: string; url: string; store?: string | null; secrets: readonly string[]; types?: readonly EventType[] }): WebhookEndpoint {
  if (!ENDPOINT_ID.test(o.id)) throw new ConfigError(`webhook endpoint id ${o.id}: letters, digits, _ and - only`);
  return endpoint({ ...o, store: o.store ?? null });
}
