/**
 * Webhook delivery keys (docs/WEBHOOKS.md › Redis keys), under the core's hash tag so every script of
 * ours stays in one Cluster slot. Listed with their bounds in src/store/keys.ts too.
 *
 * | key                                  | type   | what                                                        |
 * |--------------------------------------|--------|-------------------------------------------------------------|
 * | {tag}:wh:line:<endpoint>|<opId>      | hash   | the operation's undelivered events for one endpoint, in order: padded stream id → `p` (pending) / `f` (failed for good); `mark` = last delivered |
 * | {tag}:wh:cb:<endpoint>               | hash   | circuit breaker: failures in a row, open until, probe holder |
 * | {tag}:wh:slots:<endpoint>            | zset   | deliveries in flight to the endpoint → slot expiry (ms)      |
 * | {tag}:wh:wait:<endpoint>             | zset   | deliveries waiting for a slot → since (ms)                   |
 * | {tag}:wh:held:<endpoint>             | zset   | deliveries waiting on the endpoint's circuit (woken when it closes) → since (ms) |
 * | {tag}:wh:dispatch                    | string | the dispatcher lock (one dispatcher at a time, PX)           |
 *
 * The consumer group `notify` lives on `{tag}:events` (the stream of all stores' events).
 */
export function notifyKeys(tag: string) {
  const p = `{${tag}}:wh`;
  return {
    line: (endpoint: string, opId: string) => `${p}:line:${endpoint}|${opId}`,
    breaker: (endpoint: string) => `${p}:cb:${endpoint}`,
    slots: (endpoint: string) => `${p}:slots:${endpoint}`,
    waiters: (endpoint: string) => `${p}:wait:${endpoint}`,
    held: (endpoint: string) => `${p}:held:${endpoint}`,
    dispatchLock: `${p}:dispatch`,
  };
}
export type NotifyKeys = ReturnType<typeof notifyKeys>;

/** The consumer group of the dispatcher on `{tag}:events`, and its one consumer (one dispatcher at a time holds the lock). */
export const DISPATCH_GROUP = 'notify';
export const DISPATCH_CONSUMER = 'dispatcher';

/**
 * A stream id padded to a fixed width (`1732771200000-3` → `0001732771200000-0000000000000003`), so
 * Lua compares ids as strings in stream order.
 */
export function padSid(sid: string): string {
  const [ms = '0', seq = '0'] = sid.split('-');
  return `${ms.padStart(16, '0')}-${seq.padStart(16, '0')}`;
}

export function unpadSid(padded: string): string {
  const [ms = '0', seq = '0'] = padded.split('-');
  return `${BigInt(ms)}-${BigInt(seq)}`;
}

/** BullMQ job id of one delivery: `<endpoint>.<stream id>` (no `:`; unique per endpoint and event, so a re-dispatch adds nothing). */
export const deliveryJobId = (endpoint: string, sid: string) => `${endpoint}.${sid}`;

/** `<endpoint>.<sid>` → its parts, or null. */
export function parseDeliveryJobId(id: string): { endpoint: string; sid: string } | null {
  const m = /^([A-Za-z0-9_-]{1,40})\.(\d{1,16}-\d{1,16})$/.exec(id);
  return m ? { endpoint: m[1]!, sid: m[2]! } : null;
}
