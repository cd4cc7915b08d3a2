/**
 * Every key we write, in one place. All keys (ours and BullMQ's, whose prefix is the same `{tag}`)
 * carry one hash tag, so multi-key scripts work on Redis Cluster.
 *
 * | key                              | type   | what                                                    |
 * |----------------------------------|--------|---------------------------------------------------------|
 * | {tag}:op:<opId>                  | hash   | operation record (state, amounts, uid, key, timestamps) |
 * | {tag}:mb:<store>|<device>:live   | list   | waiting operation ids, FIFO, served first               |
 * | {tag}:mb:<store>|<device>:bulk   | list   | waiting batch-refund ids, FIFO, served when live empty  |
 * | {tag}:lease:<store>|<device>     | string | id of the operation holding the terminal                |
 * | {tag}:leases                     | zset   | terminal → lease expiry (ms); the sweeper's index       |
 * | {tag}:devices                    | zset   | terminals ever used → last enqueue time (ms)            |
 * | {tag}:dev:<store>|<device>       | hash   | last answer time / code per terminal                     |
 * | {tag}:uid:<store>:<uid>          | string | charge op id by gateway uid (refunds by uid)            |
 * | {tag}:claimed:<chargeOpId>       | set    | refund uids already matched to our refunds              |
 * | {tag}:children:<chargeOpId>      | set    | refund and reprint op ids of a charge (look-up by order)|
 * | {tag}:audit:<opId>               | stream | every request sent and answer received, per operation   |
 * | {tag}:audit-dev:<store>|<device> | stream | the same events per terminal (op id + summary), capped  |
 * | {tag}:tomb:<store>:<order_id>    | string | first use of a charge's order_id (outlives the record)  |
 * | {tag}:open                       | zset   | open operations → when the janitor should look (ms)     |
 * | {tag}:janitor                    | string | janitor pass lock (one process at a time, PX)           |
 * | {tag}:cb:<store>:<order_id>      | string | a gateway callback asked a query for the order (PX: CALLBACK_COALESCE_MS); later callbacks within it ask none |
 * | {tag}:again:<opId>               | string | a hint (callback, recheck) came while the status job was running: query again at once (PX 60 s) |
 * | {tag}:events                     | stream | merchant events: type, store, op, state, record after   |
 * | {tag}:ix:<store>:<family>[:s:<state>|:d:<device>] | zset | search indexes (docs/CORE.md › Search), by `ixs` |
 * | {tag}:wh:line:<endpoint>|<opId>  | hash   | webhooks: an operation's undelivered events per endpoint, in order (src/workers/notify/keys.ts) |
 * | {tag}:wh:cb:<endpoint>           | hash   | webhooks: the endpoint's circuit breaker                 |
 * | {tag}:wh:slots:<endpoint>        | zset   | webhooks: requests in flight to the endpoint → expiry    |
 * | {tag}:wh:wait:<endpoint>         | zset   | webhooks: deliveries waiting for a slot                  |
 * | {tag}:wh:held:<endpoint>         | zset   | webhooks: deliveries woken when the circuit closes       |
 * | {tag}:wh:dispatch                | string | webhooks: the dispatcher lock (PX)                       |
 *
 * Bounds: per-operation keys expire with the record (retention after the final state); tombstones
 * after `tombstoneMs`; callback marks after `CALLBACK_COALESCE_MS` (PX); per-terminal keys expire after the retention when the terminal stays unused;
 * `leases`, `devices` and `open` are bounded by the fleet and by the open operations; the event streams
 * are trimmed to the retention (MINID) on every write and expire when no event comes for that long
 * (the webhook dispatcher's consumer group lives on `events` and goes with it). Webhook keys
 * (docs/WEBHOOKS.md › Redis keys): a line expires the retry horizon + the failed retention + 1 day
 * after its last write while it holds undelivered events, 2 days once only its last delivered event
 * is left; breaker, slots, waiters and held sets expire after their last write (at most 4 × the
 * longest retry delay), and their members are live deliveries of one endpoint; the lock is PX.
 */
export function bullPrefix(tag: string): string {
  return `{${tag}}`;
}

export function terminalMember(store: string, device: string): string {
  return `${store}|${device}`;
}

export function keysFor(tag: string) {
  const p = `{${tag}}`;
  return {
    op: (opId: string) => `${p}:op:${opId}`,
    mailboxLive: (member: string) => `${p}:mb:${member}:live`,
    mailboxBulk: (member: string) => `${p}:mb:${member}:bulk`,
    lease: (member: string) => `${p}:lease:${member}`,
    leases: `${p}:leases`,
    devices: `${p}:devices`,
    device: (member: string) => `${p}:dev:${member}`,
    uid: (store: string, uid: string) => `${p}:uid:${store}:${uid}`,
    claimed: (chargeOpId: string) => `${p}:claimed:${chargeOpId}`,
    children: (chargeOpId: string) => `${p}:children:${chargeOpId}`,
    audit: (opId: string) => `${p}:audit:${opId}`,
    auditDevice: (member: string) => `${p}:audit-dev:${member}`,
    tombstone: (store: string, orderId: string) => `${p}:tomb:${idPart(store)}:${idPart(orderId)}`,
    open: `${p}:open`,
    events: `${p}:events`,
    janitorLock: `${p}:janitor`,
    callbackHint: (store: string, orderId: string) => `${p}:cb:${idPart(store)}:${idPart(orderId)}`,
    askAgain: (opId: string) => `${p}:again:${opId}`,
    leasePrefix: `${p}:lease:`,
  };
}
export type Keys = ReturnType<typeof keysFor>;

/**
 * Operation ids are readable and derived from the idempotency key, so the same key always names
 * the same record. `:` is escaped (BullMQ job ids may not contain it).
 */
export function operationId(kind: 'charge' | 'refund' | 'reprint_invoice' | 'reprint_signature', store: string, key: string): string {
  return `${kind}.${idPart(store)}.${idPart(key)}`;
}

/** A caller's value as part of an id or key: percent-encoded, `.` too (no brace can start a second hash tag). */
export function idPart(s: string): string {
  return encodeURIComponent(s).replace(/\./g, '%2E');
}
