/**
 * The workload: a plan drawn from the seed (charges of every simulated outcome, partial and full
 * refunds, reprints, a small refund batch, idempotent replays, bad requests), then driven through the
 * HTTP API like a careful point-of-sale back end: every POST is retried with the same idempotency key
 * after a network error, a timeout or a 5xx, and an operation counts as acknowledged once a 202 came.
 *
 * Requests that join a terminal's line are sent one at a time per terminal (the next one after the
 * previous 202), so each terminal's enqueue order is known exactly — the FIFO check compares the
 * gateway's journal with it. Batch refunds use the bulk lane and are left out of that order.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { callRetrying, isObject, type Reply } from './http.js';
import type { Rng } from './rng.js';
import { PREFIX, STORE } from './system.js';

export type OpKind = 'charge' | 'refund' | 'reprint_invoice' | 'reprint_signature';

/** Amount suffix → simulator outcome (docs/SIMULATOR.md), with the share of charges that get it. */
export const OUTCOMES: readonly (readonly [number, string, number])[] = [
  [0, 'paid', 55], [51, 'declined', 6], [52, 'abandoned', 4], [53, 'pending_then_paid', 6], [54, 'pending_then_declined', 3],
  [55, 'mismatch', 3], [56, 'stays_pending', 2], [57, 'data_error', 3], [58, 'system_error_then_paid', 5], [59, 'settled', 6],
  [61, 'online_then_paid', 4], [62, 'unknown_code', 3],
];
/** Outcomes that end paid at the gateway: the only charges that get refunds and reprints. */
const PAID_SUFFIXES = new Set([0, 53, 58, 59, 61]);

export interface ChargePlan {
  id: string;
  at: number;
  device: string;
  orderId: string;
  cost: number;
  body: Record<string, unknown>;
  /** Withdraw it this long after its 202 (POST /v1/operations/{id}/cancel): racing its claim, or too late. */
  cancelAfterMs?: number;
}

export interface RefundPlan {
  id: string;
  at: number;
  charge: string;
  refundId: string;
  cost: number;
}

export interface ReprintPlan {
  id: string;
  at: number;
  charge: string;
  kind: 'invoice' | 'signature';
  reprintId: string;
}

export interface ReplayPlan {
  at: number;
  of: string;
}

export type BadVariant =
  | 'negative_cost' | 'bad_pfn' | 'unknown_field' | 'items_mismatch' | 'no_auth' | 'bad_json' | 'idempotency_key_mismatch'
  | 'unknown_store' | 'conflict' | 'over_balance' | 'refund_unknown_order';

export interface BadPlan {
  at: number;
  variant: BadVariant;
  /** The charge it refers to (conflict, over_balance). */
  charge?: string;
  key: string;
  device: string;
}

export interface BatchPlan {
  at: number;
  batchId: string;
  rows: { charge: string; refundId: string; cost: number }[];
}

export interface WorkloadPlan {
  charges: ChargePlan[];
  refunds: RefundPlan[];
  reprints: ReprintPlan[];
  replays: ReplayPlan[];
  bad: BadPlan[];
  batch: BatchPlan | null;
  /** sha256 of the plan (the same seed gives the same fingerprint). */
  fingerprint: string;
}

export interface PlanOptions {
  seed: number;
  loadMs: number;
  devices: string[];
  chargesPerSecond: number;
}

const PRODUCTS = [['LATTE', '拿鐵咖啡', 120], ['BAGEL', '貝果', 65], ['SALAD', '凱薩沙拉', 180], ['TEA', '烏龍茶', 55], ['CAKE', '起司蛋糕', 150]] as const;

export function planWorkload(rng: Rng, o: PlanOptions): WorkloadPlan {
  const charges: ChargePlan[] = [];
  const refunds: RefundPlan[] = [];
  const reprints: ReprintPlan[] = [];
  const replays: ReplayPlan[] = [];
  const bad: BadPlan[] = [];
  const n = Math.max(6, Math.round((o.loadMs / 1000) * o.chargesPerSecond));
  const spacing = o.loadMs / n;
  const tag = `s${o.seed}`;
  const paidCharges: ChargePlan[] = [];
  // A stream of its own: drawing cancels does not shift the rest of the plan of a seed.
  const cancels = rng.fork('cancels');
  for (let i = 0; i < n; i++) {
    const at = Math.round(i * spacing + rng.next() * spacing * 0.8);
    const suffix = rng.weighted(OUTCOMES.map(([s, , w]) => [s, w] as const));
    const device = rng.pick(o.devices);
    const orderId = `${tag}-c${String(i).padStart(4, '0')}`;
    const pfn = rng.chance(0.85) ? 'CREDITCARD' : rng.pick(['LINEPAYON', 'JKOON']);
    let cost: number;
    const body: Record<string, unknown> = { device_name: device, order_id: orderId, pfn, echo_0: 'nemesis' };
    if (rng.chance(0.4)) {
      const [pid, name, price] = rng.pick(PRODUCTS);
      const amount = rng.int(1, 3);
      const base = price * amount;
      cost = Math.ceil(base / 100) * 100 + 100 + suffix;
      const items = [{ id: pid, name, cost: price, amount, total: base }, { id: 'SVC', name: '服務費', cost: cost - base, amount: 1, total: cost - base }];
      body.items = items;
    } else {
      cost = rng.int(2, 40) * 100 + suffix;
    }
    body.cost = cost;
    const c: ChargePlan = { id: chargeId(orderId), at, device, orderId, cost, body };
    const cancel = cancels.chance(0.08) ? cancels.int(0, 400) : undefined;
    charges.push(c);
    if (cancel !== undefined) c.cancelAfterMs = cancel;
    else if (PAID_SUFFIXES.has(suffix)) paidCharges.push(c);
  }

  // A small batch: two or three paid charges kept for it (no other refund on them).
  let batch: BatchPlan | null = null;
  const batchCharges = new Set<string>();
  const early = paidCharges.filter((c) => c.at < o.loadMs * 0.5);
  if (early.length >= 4) {
    const rows: BatchPlan['rows'] = [];
    for (let k = 0; k < rng.int(2, 3); k++) {
      const c = early[Math.floor(rng.next() * early.length)]!;
      if (batchCharges.has(c.id)) continue;
      batchCharges.add(c.id);
      rows.push({ charge: c.id, refundId: `${tag}-b${k}`, cost: Math.max(1, Math.floor(c.cost * 0.25)) });
    }
    const at = Math.max(...rows.map((r) => charges.find((c) => c.id === r.charge)!.at)) + 6_000;
    batch = { at, batchId: `${tag}-batch`, rows };
  }

  let r = 0;
  for (const c of paidCharges) {
    if (batchCharges.has(c.id)) continue;
    const shape = rng.weighted([['none', 50], ['partial', 22], ['two_partials', 10], ['full', 10], ['partial_then_rest', 8]] as const);
    const first = c.at + rng.int(3_000, 8_000);
    const add = (at: number, cost: number) => {
      const refundId = `${tag}-r${String(r++).padStart(4, '0')}`;
      refunds.push({ id: refundOpId(refundId), at, charge: c.id, refundId, cost });
    };
    if (shape === 'partial') add(first, Math.max(1, Math.floor(c.cost * 0.3)));
    else if (shape === 'full') add(first, c.cost);
    else if (shape === 'two_partials') {
      add(first, Math.max(1, Math.floor(c.cost * 0.2)));
      add(first + rng.int(1_000, 4_000), Math.max(2, Math.floor(c.cost * 0.35)));
    } else if (shape === 'partial_then_rest') {
      const part = Math.max(1, Math.floor(c.cost * 0.4));
      add(first, part);
      add(first + rng.int(1_000, 4_000), c.cost - part);
    }
    if (rng.chance(0.15)) {
      const kind = rng.chance(0.5) ? 'invoice' : 'signature';
      const reprintId = `${tag}-p${reprints.length}`;
      reprints.push({ id: reprintOpId(kind, reprintId), at: c.at + rng.int(2_500, 6_000), charge: c.id, kind, reprintId });
    }
  }
  for (const c of charges) if (rng.chance(0.08)) replays.push({ at: c.at + rng.int(500, 4_000), of: c.id });
  for (const rf of refunds) if (rng.chance(0.12)) replays.push({ at: rf.at + rng.int(500, 3_000), of: rf.id });

  const variants: BadVariant[] = ['negative_cost', 'bad_pfn', 'unknown_field', 'items_mismatch', 'no_auth', 'bad_json', 'idempotency_key_mismatch', 'unknown_store', 'conflict', 'over_balance', 'refund_unknown_order'];
  const nBad = Math.max(variants.length, Math.round(n * 0.1));
  for (let i = 0; i < nBad; i++) {
    const variant = i < variants.length ? variants[i]! : rng.pick(variants);
    const at = rng.int(1_000, o.loadMs);
    const pool = (variant === 'over_balance' ? paidCharges : charges).filter((c) => c.at + 4_000 < at && !batchCharges.has(c.id));
    bad.push({ at, variant, charge: pool.length ? rng.pick(pool).id : undefined, key: `${tag}-x${i}`, device: rng.pick(o.devices) });
  }

  const sorted = <T extends { at: number }>(xs: T[]) => xs.sort((a, b) => a.at - b.at);
  const plan = { charges, refunds: sorted(refunds), reprints: sorted(reprints), replays: sorted(replays), bad: sorted(bad), batch };
  const fingerprint = createHash('sha256').update(JSON.stringify(plan)).digest('hex').slice(0, 16);
  return { ...plan, fingerprint };
}

/** Operation ids as the core names them (our keys contain no characters it escapes). */
export const chargeId = (orderId: string) => `charge.${STORE}.${orderId}`;
export const refundOpId = (refundId: string) => `refund.${STORE}.${refundId}`;
export const reprintOpId = (kind: 'invoice' | 'signature', reprintId: string) => `reprint_${kind}.${STORE}.${reprintId}`;

// ─── Driving it ─────────────────────────────────────────────────────────────────────────────────

export interface OpLog {
  id: string;
  kind: OpKind;
  device: string;
  lane: 'live' | 'bulk';
  orderId: string;
  cost?: number;
  /** Charge op id (refunds, reprints). */
  charge?: string;
  firstSentAt: number;
  ackedAt?: number;
  acked: boolean;
  attempts: number;
  /** Last non-202 answer (status and problem code), when never acknowledged. */
  lastStatus?: number;
  skipped?: string;
  /** A cancel asked for after its 202: the answer (200 withdrawn, 409 sent already; null: none). */
  cancel?: { status: number | null; at: number };
}

export interface BadLog {
  variant: BadVariant;
  at: number;
  status: number | null;
  /** Ids that must not exist afterwards. */
  mustNotExist: string[];
  /** An existing operation and the cost it must still have (conflict). */
  unchanged?: { id: string; cost: number };
  skipped?: string;
}

export interface ReplayLog {
  of: string;
  at: number;
  status: number | null;
  replayed: boolean;
  sameId: boolean;
  skipped?: string;
}

export interface WorkloadLog {
  ops: Map<string, OpLog>;
  /** Per terminal: live-lane op ids in enqueue order (first 202). */
  lines: Map<string, string[]>;
  bad: BadLog[];
  replays: ReplayLog[];
  batch: { status: number | null; skipped?: string } | null;
  /** Requests that never got an answer below 500 within the retry budget. */
  unanswered: number;
}

/** What the workload learns as it goes, shared with the nemesis (to aim its faults). */
export interface Knowledge {
  /** Gateway uid of each paid charge → its amount. */
  chargeCostByUid: Map<string, number>;
  /** Refund operations of at most half their charge (a second copy would still fit the balance). */
  partialRefundOps: Set<string>;
}

export function knowledgeOf(plan: WorkloadPlan): Knowledge {
  const cost = new Map(plan.charges.map((c) => [c.id, c.cost]));
  const partial = new Set<string>();
  for (const r of plan.refunds) if (r.cost * 2 <= (cost.get(r.charge) ?? 0)) partial.add(r.id);
  for (const r of plan.batch?.rows ?? []) if (r.cost * 2 <= (cost.get(r.charge) ?? 0)) partial.add(refundOpId(r.refundId));
  return { chargeCostByUid: new Map(), partialRefundOps: partial };
}

export interface DriverOptions {
  knowledge: Knowledge;
  apiUrl: () => string;
  /** Redis of the system (read-only here: when is a charge paid). */
  redisUrl: string;
  /** Load start (epoch ms); plan times are relative to it. */
  startedAt: number;
  /** Wait for charges to be paid before refunding/reprinting them (ms). */
  paidWaitMs: number;
  retryBudgetMs: number;
  /** True once the runner has given up waiting for the workload: pending waits end. */
  stopped: () => boolean;
}

const sleepUntil = async (t: number) => {
  const ms = t - Date.now();
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
};

export async function driveWorkload(plan: WorkloadPlan, o: DriverOptions): Promise<WorkloadLog> {
  const log: WorkloadLog = { ops: new Map(), lines: new Map(), bad: [], replays: [], batch: null, unanswered: 0 };
  const mutex = new Map<string, Promise<void>>();
  const bodies = new Map<string, { path: string; body: unknown }>();
  const chargePlans = new Map(plan.charges.map((c) => [c.id, c]));
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  redis.on('error', () => undefined); // restarts are part of the run

  /** Runs `fn` alone on this terminal's line (enqueue order = the order of these sections). */
  const onLine = async <T>(device: string, fn: () => Promise<T>): Promise<T> => {
    const prev = mutex.get(device) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    mutex.set(device, prev.then(() => mine));
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  };

  const post = (path: string, body: unknown, extra: { headers?: Record<string, string> } = {}) =>
    callRetrying(o.apiUrl, 'POST', path, { body, headers: extra.headers, budgetMs: o.retryBudgetMs });

  async function enqueue(entry: OpLog, path: string, body: Record<string, unknown>): Promise<Reply | null> {
    log.ops.set(entry.id, entry);
    bodies.set(entry.id, { path, body });
    const run = async () => {
      const { reply, attempts } = await post(path, body);
      entry.attempts = attempts;
      if (reply?.status === 202) {
        entry.acked = true;
        entry.ackedAt = Date.now();
        const id = isObject(reply.body) ? String(reply.body.id) : entry.id;
        if (id !== entry.id) entry.skipped = `answered with id ${id}, expected ${entry.id}`;
        if (entry.lane === 'live') {
          const line = log.lines.get(entry.device) ?? [];
          line.push(entry.id);
          log.lines.set(entry.device, line);
        }
      } else {
        entry.lastStatus = reply?.status;
        if (!reply) log.unanswered++;
      }
      return reply;
    };
    return entry.lane === 'live' ? onLine(entry.device, run) : run();
  }

  /**
   * Waits for a charge of ours to be paid (its uid known); false when it is not, in time. Read from
   * Redis directly: this is the nemesis deciding when to send, not traffic of the workload (polling
   * the API, whose answers carry the audit trail, would load the machine it measures).
   */
  async function paid(chargeOp: string): Promise<boolean> {
    const deadline = Date.now() + o.paidWaitMs;
    while (Date.now() < deadline && !o.stopped()) {
      const [state, uid, cost] = await redis.hmget(`{${PREFIX}}:op:${chargeOp}`, 'state', 'uid', 'cost').catch(() => [null, null, null]);
      if (state === 'paid' || state === 'partially_refunded') {
        if (uid) o.knowledge.chargeCostByUid.set(uid, Number(cost));
        return true;
      }
      if (state && !['queued', 'sending', 'retry_wait', 'accepted', 'unknown', 'pending'].includes(state)) return false;
      await new Promise((r) => setTimeout(r, 500));
    }
    return false;
  }

  const tasks: Promise<unknown>[] = [];
  const at = (ms: number) => o.startedAt + ms;

  for (const c of plan.charges) {
    tasks.push((async () => {
      await sleepUntil(at(c.at));
      const entry: OpLog = { id: c.id, kind: 'charge', device: c.device, lane: 'live', orderId: c.orderId, cost: c.cost, firstSentAt: Date.now(), acked: false, attempts: 0 };
      const reply = await enqueue(entry, '/v1/charges', c.body);
      if (c.cancelAfterMs === undefined || reply?.status !== 202) return;
      await new Promise((r) => setTimeout(r, c.cancelAfterMs));
      const asked = Date.now();
      const { reply: answer } = await callRetrying(o.apiUrl, 'POST', `/v1/operations/${encodeURIComponent(c.id)}/cancel`, { budgetMs: o.retryBudgetMs });
      // A retried cancel whose first try withdrew it (its answer lost to a fault) hears 409 "state withdrawn".
      const again = answer?.status === 409 && /state withdrawn/.test(JSON.stringify(answer.body));
      entry.cancel = { status: again ? 200 : (answer?.status ?? null), at: asked };
    })());
  }

  for (const rf of plan.refunds) {
    tasks.push((async () => {
      await sleepUntil(at(rf.at));
      const c = chargePlans.get(rf.charge)!;
      const entry: OpLog = { id: rf.id, kind: 'refund', device: c.device, lane: 'live', orderId: c.orderId, cost: rf.cost, charge: c.id, firstSentAt: 0, acked: false, attempts: 0 };
      if (!(await paid(c.id))) {
        entry.skipped = 'charge not paid in time';
        log.ops.set(entry.id, entry);
        return;
      }
      entry.firstSentAt = Date.now();
      await enqueue(entry, '/v1/refunds', { order_id: c.orderId, refund_id: rf.refundId, cost: rf.cost });
    })());
  }

  for (const p of plan.reprints) {
    tasks.push((async () => {
      await sleepUntil(at(p.at));
      const c = chargePlans.get(p.charge)!;
      const entry: OpLog = { id: p.id, kind: p.kind === 'invoice' ? 'reprint_invoice' : 'reprint_signature', device: c.device, lane: 'live', orderId: c.orderId, charge: c.id, firstSentAt: 0, acked: false, attempts: 0 };
      if (!(await paid(c.id))) {
        entry.skipped = 'charge not paid in time';
        log.ops.set(entry.id, entry);
        return;
      }
      entry.firstSentAt = Date.now();
      await enqueue(entry, `/v1/reprints/${p.kind}`, { order_id: c.orderId, reprint_id: p.reprintId });
    })());
  }

  if (plan.batch) {
    const b = plan.batch;
    tasks.push((async () => {
      await sleepUntil(at(b.at));
      const ok = await Promise.all(b.rows.map((row) => paid(row.charge)));
      const rows = b.rows.filter((_, i) => ok[i]);
      if (rows.length === 0) {
        log.batch = { status: null, skipped: 'no batch charge paid in time' };
        return;
      }
      const body = { batch_id: b.batchId, rows: rows.map((row) => ({ order_id: chargePlans.get(row.charge)!.orderId, refund_id: row.refundId, cost: row.cost })) };
      const entries = rows.map((row): OpLog => {
        const c = chargePlans.get(row.charge)!;
        return { id: refundOpId(row.refundId), kind: 'refund', device: c.device, lane: 'bulk', orderId: c.orderId, cost: row.cost, charge: c.id, firstSentAt: Date.now(), acked: false, attempts: 0 };
      });
      const { reply, attempts } = await post('/v1/refund-batches', body);
      if (reply?.status === 404) {
        log.batch = { status: 404, skipped: 'no refund-batches API' };
        return;
      }
      log.batch = { status: reply?.status ?? null };
      for (const e of entries) {
        e.attempts = attempts;
        e.acked = reply?.status === 202;
        if (e.acked) e.ackedAt = Date.now();
        else e.lastStatus = reply?.status;
        log.ops.set(e.id, e);
      }
    })());
  }

  for (const rp of plan.replays) {
    tasks.push((async () => {
      await sleepUntil(at(rp.at));
      // The replay must follow its original's answer: wait for it (bounded).
      const deadline = Date.now() + 30_000;
      while (!log.ops.get(rp.of)?.acked && !log.ops.get(rp.of)?.skipped && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      const orig = log.ops.get(rp.of);
      const b = bodies.get(rp.of);
      if (!orig?.acked || !b) {
        log.replays.push({ of: rp.of, at: Date.now(), status: null, replayed: false, sameId: false, skipped: 'original not acknowledged' });
        return;
      }
      const { reply } = await post(b.path, b.body);
      log.replays.push({
        of: rp.of,
        at: Date.now(),
        status: reply?.status ?? null,
        replayed: reply?.headers.get('idempotent-replayed') === 'true',
        sameId: isObject(reply?.body) && reply.body.id === rp.of,
      });
    })());
  }

  for (const b of plan.bad) {
    tasks.push((async () => {
      await sleepUntil(at(b.at));
      log.bad.push(await badRequest(b));
    })());
  }

  async function badRequest(b: BadPlan): Promise<BadLog> {
    const order = `${b.key}-bad`;
    const good = { device_name: b.device, order_id: order, cost: 500, pfn: 'CREDITCARD' };
    const entry = (status: number | null, mustNotExist: string[], unchanged?: BadLog['unchanged']): BadLog => ({ variant: b.variant, at: Date.now(), status, mustNotExist, unchanged });
    const once = async (path: string, opts: Parameters<typeof callRetrying>[3]) => (await callRetrying(o.apiUrl, 'POST', path, { ...opts, budgetMs: o.retryBudgetMs })).reply?.status ?? null;
    switch (b.variant) {
      case 'negative_cost':
        return entry(await once('/v1/charges', { body: { ...good, cost: -10 } }), [chargeId(order)]);
      case 'bad_pfn':
        return entry(await once('/v1/charges', { body: { ...good, pfn: 'BITCOIN' } }), [chargeId(order)]);
      case 'unknown_field':
        return entry(await once('/v1/charges', { body: { ...good, colour: 'blue' } }), [chargeId(order)]);
      case 'items_mismatch':
        return entry(await once('/v1/charges', { body: { ...good, items: [{ id: 'X', name: 'x', cost: 1, amount: 1, total: 1 }] } }), [chargeId(order)]);
      case 'no_auth':
        return entry(await once('/v1/charges', { body: good, auth: false }), [chargeId(order)]);
      case 'bad_json':
        return entry(await once('/v1/charges', { raw: `{"device_name":"${b.device}","order_id":"${order}","cost":` }), [chargeId(order)]);
      case 'idempotency_key_mismatch':
        return entry(await once('/v1/charges', { body: good, headers: { 'idempotency-key': `${order}-other` } }), [chargeId(order), chargeId(`${order}-other`)]);
      case 'unknown_store':
        return entry(await once('/v1/charges', { body: { ...good, store_uid: '999999999999' } }), [chargeId(order), `charge.999999999999.${order}`]);
      case 'refund_unknown_order':
        return entry(await once('/v1/refunds', { body: { order_id: `${b.key}-nosuch`, refund_id: `${b.key}-rf`, cost: 10 } }), [refundOpId(`${b.key}-rf`)]);
      case 'conflict': {
        const c = b.charge ? chargePlans.get(b.charge) : undefined;
        if (!c || !log.ops.get(c.id)?.acked) return { ...entry(null, []), skipped: 'charge not acknowledged' };
        return entry(await once('/v1/charges', { body: { ...c.body, cost: c.cost + 1 } }), [], { id: c.id, cost: c.cost });
      }
      case 'over_balance': {
        const c = b.charge ? chargePlans.get(b.charge) : undefined;
        if (!c || !log.ops.get(c.id)?.acked || !(await paid(c.id))) return { ...entry(null, []), skipped: 'charge not paid' };
        return entry(await once('/v1/refunds', { body: { order_id: c.orderId, refund_id: `${b.key}-over`, cost: c.cost + 1 } }), [refundOpId(`${b.key}-over`)]);
      }
    }
  }

  try {
    await Promise.all(tasks);
  } finally {
    redis.disconnect();
  }
  return log;
}
