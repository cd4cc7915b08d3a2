/**
 * Defensive deep redaction for anything shown over HTTP or in Bull Board. Records already mask the
 * charge `key` (store/record.ts) and job data is only `{opId}`, but a secret that slips into an audit
 * entry or a job's return value must still never be displayed.
 */
export const REDACTED = '[redacted]';

/** Field names whose values are secrets wherever they appear (any letter case). */
export const SECRET_FIELDS: ReadonlySet<string> = new Set([
  'key', 'encry_data', 'service', 'merchant_key', 'merchantkey', 'storekey', 'store_key', 'mypay_store_key',
  'password', 'authorization', 'api_key', 'apikey', 'cardno', 'user_sn',
]);

export function redactDeep(value: unknown, depth = 0): unknown {
  if (depth > 32) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        SECRET_FIELDS.has(k.toLowerCase()) && v !== null && v !== undefined && v !== '' ? REDACTED : redactDeep(v, depth + 1),
      ]),
    );
  }
  return value;
}
