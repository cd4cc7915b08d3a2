/**
 * The operation store: records, terminal lines and leases, audit trail. Every multi-key change is
 * one Lua script (./lua, headers list KEYS / ARGV / returns).
 */
import type { ChainableCommander, Redis, Cluster } from 'ioredis';
import { isFinalState, type OperationState } from '../domain/operation/states.js';
import type { EventType } from '../domain/events.js';
import { defineScripts, type EnqueueReply } from './scripts.js';
import { keysFor, operationId, terminalMember, type Keys } from './keys.js';
import { storedOperationSchema, type StoredOperation } from './record.js';

export type Fields = Record<string, string | number | undefined | null>;

function flat(fields: Fields): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) out.push(k, String(v));
  return out;
}

export interface CreateOperation {
  id: string;
  fingerprint: string;
  lane: 'live' | 'bulk';
  store: string;
  device: string;
  /** Charge op id whose refundable balance this refund reserves (refunds of charges we know). */
  reserveOn?: { chargeId: string; amount: number };
  /** Charge op id this refund/reprint belongs to (indexed for look-ups by order). */
  parent?: string;
  fields: Fields;
}

export type CreateResult =
  | { status: 'created'; dispatched: boolean }
  /** A replay: the record as stored (unparsed) and its terminal's lease holder, read by the script. */
  | { status: 'existing'; state: string; holder: string | null; record: Record<string, string> }
  | { status: 'conflict'; state: string }
  | { status: 'charge_not_refundable'; state: string }
  | { status: 'over_refund'; refundable: number }
  | { status: 'reused'; firstUsedAt: number };

export interface AuditEntry {
  id: string;
  at: string;
  event: string;
  data: unknown;
}

export interface TerminalView {
  store_uid: string;
  device_name: string;
  in_flight: string | null;
  lease_expires_at: string | null;
  waiting_live: string[];
  waiting_bulk: string[];
  waiting: number;
  last_answer_at: string | null;
  last_answer_code: string | null;
}

export interface StoreOptions {
  /** Hash tag / BullMQ prefix (without braces). */
  tag: string;
  /** Keep final records and their audit this long. Default 90 days. */
  retentionMs?: number;
  /** Per-terminal audit stream cap (approximate). Default 10 000 entries. */
  deviceAuditMax?: number;
  /** A charge's order_id stays refused for reuse this long after its first use. Default 400 days. */
  tombstoneMs?: number;
  /** The device queue the finish script promotes the next operation's job in. */
  handOff?: HandOffQueue;
}

/** The result of a compare-and-set that did not apply. */
export type Refused =
  | { ok: false; reason: 'stale'; state: string; sends: number; claim: string }
  | { ok: false; reason: 'not_holder'; holder: string | null }
  | { ok: false; reason: 'fenced'; until: number };

export interface ClaimOptions {
  /** Unique per claim: every later step about this POST names it (lost-write detection). */
  token: string;
  expect: OperationState[];
  now: number;
  leaseUntil: number;
  fenceMs: number;
  janitorDue: number;
  audit: { data: unknown; summary: string };
  fields?: Fields;
}

export interface TransitionOptions {
  expect: OperationState[];
  now: number;
  leaseUntil?: number;
  requireHolder?: boolean;
  incr?: string;
  /** Only if the record's claim is still this one (the change is about this claim's POST). */
  claim?: string;
  /** Only once the claim's fence (`claim_until`, Redis' clock) has passed: taking a `sending` operation over. */
  afterFence?: boolean;
  /** Janitor index: when to look at this operation next (open states). */
  janitorDue?: number;
  fields?: Fields;
  /** Written in the same script as the change: see {@link Effects}. */
  effects?: Effects;
}

/**
 * What a state change writes besides the record, atomically with it (lua/lib/effects.lua): the
 * audit entry (operation and terminal trail) and the merchant event (docs/EVENTS.md).
 */
export interface Effects {
  /** Audit entries of what led to the change (the POST's answer, the query that settled it), written before `audit`. */
  prior?: AuditInput[];
  audit?: AuditInput;
  /** The terminal's last answer code, noted on its hash (e.g. B200). */
  answer?: string;
  /** A counter field of the record to increment with the change (e.g. `polls`). */
  incr?: string;
  /** Lines for the running BullMQ job's log (its `…:<id>:logs` list), what Bull Board shows for the step. */
  jobLog?: { key: string; lines: string[] };
  event?: EventType | null;
}

/** An audit entry to write: `data` must carry no secrets. */
export interface AuditInput {
  event: string;
  data: unknown;
  summary: string;
}

/**
 * The device queue as the finish script promotes its jobs (BullMQ's promote keys, in its order,
 * and `queue.toKey('')`); without it the caller wakes the next operation itself.
 */
export interface HandOffQueue {
  keys: readonly string[];
  jobKeyPrefix: string;
}

export class OperationStore {
  readonly keys: Keys;
  readonly retentionMs: number;
  readonly tombstoneMs: number;
  private readonly deviceAuditMax: number;

  constructor(readonly redis: Redis | Cluster, readonly options: StoreOptions) {
    defineScripts(redis);
    this.keys = keysFor(options.tag);
    this.retentionMs = options.retentionMs ?? 90 * 86_400_000;
    this.tombstoneMs = Math.max(options.tombstoneMs ?? 400 * 86_400_000, this.retentionMs);
    this.deviceAuditMax = options.deviceAuditMax ?? 10_000;
  }

  async create(c: CreateOperation, now: number, leaseUntil: number): Promise<CreateResult> {
    return createResult(await this.redis.mypayEnqueue(...this.enqueueArgs(c, now, leaseUntil)));
  }

  /** Many creates in one pipeline (a flush of coalesced enqueues, a bulk call); each is still its own atomic script. */
  async createMany(cs: CreateOperation[], now: number, leaseUntil: number): Promise<(CreateResult | Error)[]> {
    if (cs.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const c of cs) pipe.mypayEnqueue(...this.enqueueArgs(c, now, leaseUntil));
    const res = (await pipe.exec()) ?? [];
    return res.map(([err, out]) => (err ? err : createResult(out as EnqueueReply)));
  }

  private enqueueArgs(c: CreateOperation, now: number, leaseUntil: number, janitorDue = leaseUntil): (string | number)[] {
    const member = terminalMember(c.store, c.device);
    const k = this.keys;
    const chargeKey = c.reserveOn ? k.op(c.reserveOn.chargeId) : k.op(c.id);
    const childrenKey = c.parent ? k.children(c.parent) : k.op(c.id);
    const orderId = c.fields.order_id;
    const tombKey = c.fields.kind === 'charge' && orderId !== undefined && orderId !== null ? k.tombstone(c.store, String(orderId)) : k.op(c.id);
    return [
      k.op(c.id), k.mailboxLive(member), k.mailboxBulk(member), k.lease(member), k.leases, k.devices, chargeKey, childrenKey, tombKey, k.open,
      c.id, c.fingerprint, c.lane, now, leaseUntil, member, c.reserveOn?.amount ?? 0, this.tombstoneMs, janitorDue, this.retentionMs,
      ...flat({ ...c.fields, store: c.store, device: c.device }),
    ];
  }

  /**
   * The fenced claim before a POST (lua/claim.lua): queued|retry_wait → sending by the lease holder,
   * `sends` counted, fence stamped from Redis TIME, lease renewed and the request audited, in one step.
   */
  async claim(op: Pick<StoredOperation, 'id' | 'store' | 'device'>, o: ClaimOptions): Promise<{ ok: true; sends: number; claimUntil: number } | Refused> {
    const member = terminalMember(op.store, op.device);
    const k = this.keys;
    const [status, a, b, c] = await this.redis.mypayClaim(
      k.op(op.id), k.lease(member), k.leases, k.audit(op.id), k.auditDevice(member), k.open,
      op.id, o.expect.join(','), o.now, o.leaseUntil, member, o.fenceMs, o.janitorDue, JSON.stringify(o.audit.data), o.audit.summary,
      this.deviceAuditMax, this.retentionMs, o.token,
      ...flat(o.fields ?? {}),
    );
    if (status === 'ok') return { ok: true, sends: Number(a), claimUntil: Number(b) };
    return refused(status, a, b, c);
  }

  /** Lease holders of many terminals in one round trip. */
  async leaseHolders(terminals: { store: string; device: string }[]): Promise<(string | null)[]> {
    if (terminals.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const t of terminals) pipe.get(this.keys.lease(terminalMember(t.store, t.device)));
    return ((await pipe.exec()) ?? []).map(([, v]) => (v as string | null) ?? null);
  }

  async get(id: string): Promise<StoredOperation | null> {
    const raw = await this.redis.hgetall(this.keys.op(id));
    if (!raw.state) return null;
    return storedOperationSchema.parse(raw);
  }

  async getMany(ids: string[]): Promise<(StoredOperation | null)[]> {
    if (ids.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hgetall(this.keys.op(id));
    const res = (await pipe.exec()) ?? [];
    return res.map(([err, raw]) => {
      const h = raw as Record<string, string> | null;
      return !err && h && h.state ? storedOperationSchema.parse(h) : null;
    });
  }

  /**
   * Compare-and-set of the state (lua/transition.lua). Returns the incremented counter (if any) on
   * success, or why it did not apply. A final state here (a reprint's `printed`) starts the record's
   * retention; final states that hand the terminal on go through {@link finish}.
   */
  async transition(op: Pick<StoredOperation, 'id' | 'store' | 'device'>, to: OperationState, opts: TransitionOptions): Promise<{ ok: true; counter: number } | Refused> {
    const member = terminalMember(op.store, op.device);
    const k = this.keys;
    const final = isFinalState(to);
    const [status, a, b, c] = await this.redis.mypayTransition(
      k.op(op.id), k.lease(member), k.leases, k.open, k.audit(op.id), k.auditDevice(member), k.device(member), k.events,
      op.id, to, opts.expect.join(','), opts.now, opts.leaseUntil ?? 0, member, opts.requireHolder ? '1' : '0', opts.incr ?? '',
      opts.claim ?? '', opts.afterFence ? '1' : '0',
      final ? '-' : (opts.janitorDue ?? ''), final ? this.retentionMs : '',
      this.effectsArg(opts.effects),
      ...flat(opts.fields ?? {}),
    );
    if (status === 'ok') return { ok: true, counter: Number(a || 0) };
    return refused(status, a, b, c);
  }

  /** An explicit retry of a `not_received` operation: `queued` again at the end of its line (lua/requeue.lua). */
  async requeue(op: Pick<StoredOperation, 'id' | 'store' | 'device'>, now: number, leaseUntil: number, janitorDue: number, fields: Fields = {}): Promise<{ ok: true; dispatched: boolean } | { ok: false; state: string }> {
    const member = terminalMember(op.store, op.device);
    const k = this.keys;
    const [status, value] = await this.redis.mypayRequeue(
      k.op(op.id), k.mailboxLive(member), k.mailboxBulk(member), k.lease(member), k.leases, k.open, k.audit(op.id),
      op.id, now, leaseUntil, member, janitorDue, this.retentionMs, ...flat(fields),
    );
    return status === 'ok' ? { ok: true, dispatched: value === '1' } : { ok: false, state: value ?? '' };
  }

  /**
   * Records a final state (or, with `state: null`, only hands the terminal on) and gives the
   * terminal to the next operation in line atomically. Returns the next holder's id, if any.
   */
  async finish(
    op: Pick<StoredOperation, 'id' | 'store' | 'device' | 'charge' | 'kind'>,
    state: OperationState | null,
    opts: {
      expect?: OperationState[];
      now: number;
      nextLeaseUntil: number;
      settleRefund?: 'refunded' | 'released' | 'refunded_late';
      refundUid?: string;
      /** Only if the record's claim is still this one. */
      claim?: string;
      /** The final state still has a follow-up due then (not_received: its late verification). */
      janitorDue?: number;
      /** A paid charge's gateway uid, indexed to the charge with the final state. */
      uid?: string;
      fields?: Fields;
      effects?: Effects;
    },
  ): Promise<{ ok: true; next: string | null; promoted: boolean } | { ok: false; state: string; sends: number; claim: string }> {
    const member = terminalMember(op.store, op.device);
    const k = this.keys;
    const settles = op.kind === 'refund' && op.charge && opts.settleRefund;
    const chargeKey = settles ? k.op(op.charge!) : k.op(op.id);
    const claimedKey = op.kind === 'refund' ? k.claimed(claimedScope(op)) : k.op(op.id);
    const childrenKey = op.kind === 'charge' ? k.children(op.id) : k.op(op.id);
    const uidKey = opts.uid && op.kind === 'charge' && state ? k.uid(op.store, opts.uid) : k.op(op.id);
    const handOff = this.options.handOff;
    const [status, value, sends, claim] = await this.redis.mypayFinish(
      k.op(op.id), k.lease(member), k.leases, k.mailboxLive(member), k.mailboxBulk(member), chargeKey, claimedKey, k.audit(op.id), childrenKey, k.open,
      k.auditDevice(member), k.device(member), k.events, uidKey,
      ...(handOff?.keys ?? Array<string>(9).fill(k.op(op.id))),
      op.id, state ?? '', (opts.expect ?? []).join(','), opts.now, opts.nextLeaseUntil, member,
      settles ? opts.settleRefund! : '', opts.refundUid ?? '', this.retentionMs, opts.janitorDue ?? '', opts.claim ?? '',
      this.effectsArg(opts.effects), handOff?.jobKeyPrefix ?? '',
      ...flat(opts.fields ?? {}),
    );
    if (status !== 'ok') return { ok: false, state: value ?? '', sends: Number(sends ?? 0), claim: claim ?? '' };
    // `sends` is the third element of an 'ok' reply: whether the next operation's job was promoted.
    return { ok: true, next: value ? value : null, promoted: sends === '1' };
  }

  /** The effects argument of the transition and finish scripts (the retention always: the search indexes need it). */
  private effectsArg(fx: Effects | undefined): string {
    const entry = (a: AuditInput) => [a.event, JSON.stringify(a.data), a.summary];
    return JSON.stringify({
      p: fx?.prior?.length ? fx.prior.map(entry) : undefined,
      a: fx?.audit ? entry(fx.audit) : undefined,
      n: fx?.answer,
      i: fx?.incr,
      l: fx?.jobLog?.lines.length ? [fx.jobLog.key, ...fx.jobLog.lines] : undefined,
      e: fx?.event ?? undefined,
      r: this.retentionMs,
      m: this.deviceAuditMax,
    });
  }

  leaseHolder(store: string, device: string): Promise<string | null> {
    return this.redis.get(this.keys.lease(terminalMember(store, device)));
  }

  /**
   * Pushes the lease expiry of a terminal forward if `op` still holds it, and notes when the janitor
   * should look at the operation next (lua/renew.lua: holder check and write in one step).
   */
  async renewLease(op: Pick<StoredOperation, 'id' | 'store' | 'device'>, until: number, janitorDue?: number): Promise<boolean> {
    const member = terminalMember(op.store, op.device);
    const k = this.keys;
    return (await this.redis.mypayRenew(k.lease(member), k.leases, k.open, op.id, until, member, janitorDue ?? '')) === 1;
  }

  /** Claims up to `limit` expired leases for recovery (one sweeper wins each); drops index entries of free terminals. */
  async claimExpiredLeases(now: number, graceMs: number, limit = 100): Promise<string[]> {
    return this.redis.mypaySweep(this.keys.leases, now, graceMs, limit, this.keys.leasePrefix);
  }

  /**
   * One status query that changed nothing: its audit entry (none when the gateway could not be asked
   * — that failure was audited already), the poll count, when the janitor should look next, the job's
   * log line and (`leaseUntil`) the terminal's lease renewed if the operation still holds it
   * (lua/renew.lua), in one pipeline.
   */
  async recordPoll(op: Pick<StoredOperation, 'id' | 'store' | 'device'>, entries: AuditInput[], janitorDue: number, o: { jobLog?: { key: string; lines: string[] }; leaseUntil?: number } = {}): Promise<void> {
    const pipe = this.redis.pipeline();
    for (const e of entries) this.auditTo(pipe, op, e.event, e.data, e.summary);
    pipe.hincrby(this.keys.op(op.id), 'polls', 1).zadd(this.keys.open, janitorDue, op.id);
    if (o.jobLog?.lines.length) pipe.mypayJobLog(o.jobLog.key.slice(0, -':logs'.length), o.jobLog.key, ...o.jobLog.lines);
    if (o.leaseUntil !== undefined) {
      const member = terminalMember(op.store, op.device);
      pipe.mypayRenew(this.keys.lease(member), this.keys.leases, this.keys.open, op.id, o.leaseUntil, member, '');
    }
    await pipe.exec();
  }

  /**
   * Sets fields without a state change, only while the record is in `state` (lua/annotate.lua); with
   * `janitorDue`, the operation is (kept) in the janitor's index until then.
   */
  async annotate(opId: string, state: OperationState, fields: Fields, janitorDue?: number): Promise<boolean> {
    return (await this.redis.mypayAnnotate(this.keys.op(opId), this.keys.open, opId, state, janitorDue ?? '', ...flat(fields))) === 1;
  }

  /** Open operations the janitor should look at now (oldest due first). */
  dueOpen(now: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.open, '-inf', now, 'LIMIT', 0, limit);
  }

  /** The janitor's pass lock (one process at a time): true when this process holds it now. */
  async takeJanitorLock(token: string, ms: number): Promise<boolean> {
    return (await this.redis.set(this.keys.janitorLock, token, 'PX', ms, 'NX')) === 'OK';
  }

  /** Releases the pass lock only if this process still holds it (a slow pass may have lost it). */
  async releaseJanitorLock(token: string): Promise<void> {
    await this.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, this.keys.janitorLock, token);
  }

  /** Counts one follow-up the janitor re-created for this operation. */
  async noteRedrive(opId: string): Promise<void> {
    await this.redis.hincrby(this.keys.op(opId), 'redrives', 1);
  }

  async setJanitorDue(opId: string, due: number): Promise<void> {
    await this.redis.zadd(this.keys.open, due, opId);
  }

  async dropOpen(opId: string): Promise<void> {
    await this.redis.zrem(this.keys.open, opId);
  }

  /** The record as stored, without parsing (the janitor's look at records that may no longer parse). */
  raw(id: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.op(id));
  }

  /**
   * A record that no longer parses cannot be followed up: `needs_review` with the reason, written
   * without reading it through the schema; its retention starts and it leaves the janitor's index.
   */
  async markPoison(id: string, reason: string, now: number): Promise<void> {
    const k = this.keys;
    await this.redis.mypayPoison(k.op(id), k.audit(id), k.open, k.events, id, reason, now, this.retentionMs);
  }

  async indexUid(store: string, uid: string, chargeId: string): Promise<void> {
    await this.redis.set(this.keys.uid(store, uid), chargeId, 'PX', this.retentionMs);
  }

  chargeIdByUid(store: string, uid: string): Promise<string | null> {
    return this.redis.get(this.keys.uid(store, uid));
  }

  /** Refund and reprint op ids of a charge (unordered; sort by their `created`). */
  async children(chargeId: string): Promise<string[]> {
    return this.redis.smembers(this.keys.children(chargeId));
  }

  /** Gateway refund rows already matched to our refunds of this refund's charge (ours or not). */
  async claimedRefundUids(refund: Pick<StoredOperation, 'charge' | 'store' | 'order_id' | 'id'>): Promise<Set<string>> {
    return new Set(await this.redis.smembers(this.keys.claimed(claimedScope(refund))));
  }

  /** Appends to the operation's and the terminal's audit streams. `data` must carry no secrets. */
  async audit(op: Pick<StoredOperation, 'id' | 'store' | 'device'>, event: string, data: unknown, summary = ''): Promise<void> {
    const pipe = this.redis.pipeline();
    this.auditTo(pipe, op, event, data, summary);
    await pipe.exec();
  }

  private auditTo(pipe: ChainableCommander, op: Pick<StoredOperation, 'id' | 'store' | 'device'>, event: string, data: unknown, summary: string): void {
    const member = terminalMember(op.store, op.device);
    pipe.xadd(this.keys.audit(op.id), '*', 'event', event, 'data', JSON.stringify(data));
    // The first entry may come after the final state (an operation finished before anything was
    // audited, e.g. no merchant key): the finish script's PEXPIRE found no stream then. An open
    // operation writes events far more often than the retention, so this never cuts its trail short.
    pipe.pexpire(this.keys.audit(op.id), this.retentionMs);
    pipe.xadd(this.keys.auditDevice(member), 'MAXLEN', '~', this.deviceAuditMax, '*', 'op', op.id, 'event', event, 'summary', summary);
    pipe.pexpire(this.keys.auditDevice(member), this.retentionMs);
    pipe.hset(this.keys.device(member), 'last_event_at', Date.now());
    pipe.pexpire(this.keys.device(member), this.retentionMs);
  }

  async noteAnswer(store: string, device: string, code: string, at: number): Promise<void> {
    const key = this.keys.device(terminalMember(store, device));
    await this.redis.pipeline().hset(key, 'last_answer_at', at, 'last_answer_code', code).pexpire(key, this.retentionMs).exec();
  }

  async auditTrail(opId: string): Promise<AuditEntry[]> {
    const rows = await this.redis.xrange(this.keys.audit(opId), '-', '+');
    return rows.map(([id, kv]) => {
      const m = Object.fromEntries(pairs(kv));
      let data = safeJson(m.data);
      // The claim script writes the attempt number beside the request it audits.
      if (m.attempt !== undefined && data && typeof data === 'object') data = { ...(data as object), attempt: Number(m.attempt) };
      return { id, at: new Date(Number(id.split('-')[0])).toISOString(), event: m.event ?? '', data };
    });
  }

  async terminalAudit(store: string, device: string, count = 100): Promise<{ id: string; at: string; op: string; event: string; summary: string }[]> {
    const rows = await this.redis.xrevrange(this.keys.auditDevice(terminalMember(store, device)), '+', '-', 'COUNT', count);
    return rows.map(([id, kv]) => {
      const m = Object.fromEntries(pairs(kv));
      return { id, at: new Date(Number(id.split('-')[0])).toISOString(), op: m.op ?? '', event: m.event ?? '', summary: m.summary ?? '' };
    });
  }

  async terminal(store: string, device: string): Promise<TerminalView> {
    return (await this.terminals([terminalMember(store, device)]))[0]!;
  }

  /** Terminals known to the store (every one that ever had an operation), newest use first. */
  async listTerminals(offset = 0, limit = 500): Promise<TerminalView[]> {
    const members = await this.redis.zrevrange(this.keys.devices, offset, offset + limit - 1);
    return this.terminals(members);
  }

  /** Every terminal known to the store as `[store, device]` (the members of the `devices` index: bounded by the fleet). */
  async terminalNames(): Promise<[store: string, device: string][]> {
    return (await this.redis.zrange(this.keys.devices, 0, -1)).map(splitMember);
  }

  /** The views of the named terminals (those never used come back idle, with nothing waiting). */
  async terminalsNamed(names: readonly (readonly [store: string, device: string])[]): Promise<TerminalView[]> {
    return this.terminals(names.map(([store, device]) => terminalMember(store, device)));
  }

  private async terminals(members: string[]): Promise<TerminalView[]> {
    const k = this.keys;
    const pipe = this.redis.pipeline();
    for (const m of members) {
      pipe.get(k.lease(m));
      pipe.zscore(k.leases, m);
      pipe.lrange(k.mailboxLive(m), 0, 99);
      pipe.lrange(k.mailboxBulk(m), 0, 99);
      pipe.llen(k.mailboxLive(m));
      pipe.llen(k.mailboxBulk(m));
      pipe.hgetall(k.device(m));
    }
    const res = ((await pipe.exec()) ?? []).map(([, v]) => v);
    return members.map((m, i) => {
      const [holder, expiry, live, bulk, nLive, nBulk, dev] = res.slice(i * 7, i * 7 + 7) as [
        string | null, string | null, string[], string[], number, number, Record<string, string>,
      ];
      const [store_uid, device_name] = splitMember(m);
      return {
        store_uid,
        device_name,
        in_flight: holder,
        lease_expires_at: expiry ? new Date(Number(expiry)).toISOString() : null,
        waiting_live: live,
        waiting_bulk: bulk,
        waiting: nLive + nBulk,
        last_answer_at: dev.last_answer_at ? new Date(Number(dev.last_answer_at)).toISOString() : null,
        last_answer_code: dev.last_answer_code ?? null,
      };
    });
  }
}

function refused(status: string | undefined, a: string | undefined, b: string | undefined, c: string | undefined): Refused {
  if (status === 'not_holder') return { ok: false, reason: 'not_holder', holder: a ? a : null };
  if (status === 'fenced') return { ok: false, reason: 'fenced', until: Number(a) };
  return { ok: false, reason: 'stale', state: a ?? '', sends: Number(b ?? 0), claim: c ?? '' };
}

/**
 * Whose claimed-refund-row set a refund uses: its charge's — for a charge we did not make (or whose
 * record expired), the id that charge would have, so two refunds of one order never share a row.
 */
export function claimedScope(refund: Pick<StoredOperation, 'charge' | 'store' | 'order_id' | 'id'>): string {
  if (refund.charge) return refund.charge;
  return refund.order_id ? operationId('charge', refund.store, refund.order_id) : refund.id;
}

function createResult([status, value, holder, record]: EnqueueReply): CreateResult {
  switch (status) {
    case 'reused':
      return { status, firstUsedAt: Number(value) };
    case 'created':
      return { status, dispatched: value === '1' };
    case 'over_refund':
      return { status, refundable: Number(value) };
    case 'existing':
      return { status, state: value ?? '', holder: holder || null, record: Object.fromEntries(pairs(record ?? [])) };
    case 'conflict':
    case 'charge_not_refundable':
      return { status, state: value ?? '' };
    default:
      throw new Error(`enqueue script answered ${status}`);
  }
}

export function splitMember(member: string): [string, string] {
  const i = member.indexOf('|');
  return [member.slice(0, i), member.slice(i + 1)];
}

function pairs(kv: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < kv.length; i += 2) out.push([kv[i]!, kv[i + 1]!]);
  return out;
}

function safeJson(s: string | undefined): unknown {
  if (s === undefined) return null;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
