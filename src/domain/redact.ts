/**
 * One redaction for every output: logs (pino `redact` paths and log formatters derived from these
 * lists, src/config/logger.ts), operation records and audit entries over HTTP and in Bull Board (src/api), the
 * simulator's journal and orders (src/simulator/journal.ts) and the CLI (src/cli/send.ts).
 *
 * - {@link SECRET_FIELDS}: values that authorise something — the merchant key (AES-256 key of a
 *   store), the charge `key` (交易驗証碼: with the uid it authorises refunds and reprints), the
 *   encrypted `encry_data`/`service` of an envelope, API keys, the dashboard password, an
 *   `Authorization` header, the webhook signing secrets, the gateway callbacks' shared secrets (and an
 *   API key's SHA-256, which would let a weak key be guessed offline) — and the card number and the customer's 身分證字號 (`user_sn`). Masked
 *   wherever they appear, at any depth, in every output.
 * - {@link PERSONAL_FIELDS}: the customer's contact details. The API gives them back to the caller
 *   who sent them; logs never carry them.
 *
 * Names are matched without regard to letter case (`MYPAY_STORE_KEY`, `storeKey`, `store_key`).
 * MYPAY callbacks carry no signature; the secrets that sign our own webhooks (`WEBHOOK_SECRET`, a
 * store endpoint's `secrets`) are in the list.
 */

export const REDACTED = '[redacted]';

/** Field names whose values are secrets wherever they appear. */
export const SECRET_FIELDS = [
  'key', 'encry_data', 'service',
  'merchant_key', 'merchantKey', 'storeKey', 'store_key', 'MYPAY_STORE_KEY',
  'password', 'ADMIN_PASSWORD', 'authorization',
  'api_key', 'apiKey', 'apiKeys', 'API_KEYS', 'key_sha256', 'sha256',
  'cardno', 'user_sn',
  'secret', 'secrets', 'WEBHOOK_SECRET', 'webhook_secret', 'webhookSecret',
  'callback_secret', 'callbackSecret', 'MYPAY_CALLBACK_SECRET', 'x-mypay-callback-secret',
] as const;

/** The customer's contact details: kept out of logs (the API returns them to the caller who sent them). */
export const PERSONAL_FIELDS = ['user_email', 'user_cellphone', 'user_phone', 'user_address', 'user_real_name', 'user_birthday'] as const;

const SECRET = new Set<string>(SECRET_FIELDS.map((f) => f.toLowerCase()));

export const isSecretField = (name: string): boolean => SECRET.has(name.toLowerCase());

/**
 * pino `redact.paths`: every secret and personal field at the top level of a log line (`key`,
 * `authorization`, …). pino's own redaction stays cheap without wildcards; deeper fields are
 * {@link redactForLog}'s, run as pino's `formatters.log` (wildcard paths `*.*.key` cost about 40×
 * what a copy costs per line).
 */
export function logRedactPaths(): string[] {
  return [...SECRET_FIELDS, ...PERSONAL_FIELDS];
}

const PERSONAL = new Set<string>(PERSONAL_FIELDS.map((f) => f.toLowerCase()));

/**
 * A log line's object with secrets and personal fields redacted at any depth (pino `formatters.log`).
 * Errors are kept as they are, for pino's error serializer.
 */
export function redactForLog(value: Record<string, unknown>): Record<string, unknown> {
  return redactWith(value, (k) => SECRET.has(k) || PERSONAL.has(k), 0) as Record<string, unknown>;
}

/**
 * A copy of `value` with every secret field's value (not empty, not null) replaced by
 * {@link REDACTED}, at any depth; deeper than 32 levels everything is redacted.
 */
export function redactSecrets(value: unknown): unknown {
  return redactWith(value, (k) => SECRET.has(k), 0);
}

function redactWith(value: unknown, masked: (lowerCaseName: string) => boolean, depth: number): unknown {
  if (depth > 32) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactWith(v, masked, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Error) && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = masked(k.toLowerCase()) && v !== null && v !== undefined && v !== '' ? REDACTED : redactWith(v, masked, depth + 1);
    }
    return out;
  }
  return value;
}
