/**
 * The checker: after the load has stopped, every fault is healed and the system has settled, it
 * compares what we say (our records, through the API) with what the gateway did (the simulator's
 * ledger, journal and stats — the truth). Properties (docs/NEMESIS.md):
 *
 *  1. every acknowledged enqueue (202) has a record;
 *  2. at most one acted-on POST per operation: one order per charge and no charge POSTed again after
 *     it may have been acted on; refund rows at the gateway ≤ our refunds that say refunded (or are
 *     flagged for a person); the refunded total within the charge; one print per reprint;
 *  3. no operation sent to a busy terminal (busy answers to the nemesis' own late deliveries aside);
 *  4. FIFO per terminal among the operations that reached the gateway;
 *  5. our final state equals the gateway's for every order and refund;
 *  6. every operation still open has a follow-up (a job that will move it);
 *  7. every Redis key is bounded (a TTL, or a known bounded structure) — a warning unless `--strict-ttl`;
 *  8. a cancel answered 200 left the operation `withdrawn` with no POST at the gateway; one answered
 *     409 did not withdraw it (exactly one of the cancel and the worker's claim wins);
 *  9. every operation's last merchant event announces the state its record ended in (the scripts
 *     write both in one step: a Redis killed or restarted never splits them).
 *
 * States are compared by name, so the checker works on code with and without `not_received`,
 * `needs_review` with a review reason, `withdrawn`.
 */
import { writeFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Timeline } from './faults.js';
import { callRetrying, isObject } from './http.js';
import type { LateDelivery } from './proxy.js';
import { PREFIX, STORE, type System } from './system.js';
import type { OpLog, WorkloadLog } from './workload.js';
import { eventTypeFor } from '../src/domain/events.js';
import type { OperationKind, OperationState } from '../src/domain/operation/states.js';

export interface Violation {
  property: string;
  message: string;
  opIds?: string[];
  /** When it happened (epoch ms): the timeline is printed around it. */
  at?: number;
}

export interface AuditEntry {
  at?: string;
  event?: string;
  data?: unknown;
}

export interface Rec {
  id: string;
  kind: string;
  state: string;
  lane?: string;
  device_name?: string;
  order_id?: string;
  cost?: number;
  uid?: string;
  prc?: string;
  message?: string;
  charge_id?: string;
  refund_uid?: string;
  refunded_amount?: number;
  reserved_amount?: number;
  posts?: number;
  created_at?: string;
  updated_at?: string;
  finished_at?: string;
  audit?: AuditEntry[];
  [k: string]: unknown;
}

interface GwRefund {
  uid: string;
  cost: number;
  prc: string;
  createdAt: number;
  finishedAt?: number;
}

interface GwOrder {
  store_uid: string;
  order_id: string;
  uid: string;
  device_name: string;
  cost: number;
  prc: string;
  createdAt: number;
  history: { prc: string; at: number }[];
  refunds: GwRefund[];
}

interface JournalEntry {
  seq: number;
  at: number;
  store_uid: string;
  cmd: string;
  request: Record<string, unknown> | null;
  answer: { code?: string; msg?: string } | null;
  status: number | string;
  fault?: { kind: string; when: string };
  acted?: boolean;
}

interface SimStats {
  busyViolations: number;
  busyViolationLog: { at: number; store_uid: string; device_name: string; cmd: string; busyWith: string }[];
  chargePosts: Record<string, number>;
  duplicateChargePosts: Record<string, number>;
  requests: Record<string, number>;
  answers: Record<string, number>;
}

/** States in which an operation is still on its way (anything else is final for the line). */
export const OPEN_STATES = new Set(['queued', 'sending', 'retry_wait', 'accepted', 'unknown', 'pending']);
/** prc codes after which the gateway may still move (never final): 200, A0001, 280, 400. */
const NON_FINAL_PRC = new Set(['200', 'A0001', '280', '400']);
const CLEAN_FINAL_PRC = new Set(['250', '600', '230', '300', 'A0002', '100', '220']);
const EXPECTED_PRC: Record<string, string[]> = {
  paid: ['250', '600'],
  partially_refunded: ['250', '600', '230'],
  refunded: ['230', '250', '600'],
  declined: ['300'],
  abandoned: ['A0002'],
  data_error: ['100'],
  cancelled: ['220'],
};
const NOTHING_MOVED = new Set(['rejected', 'failed', 'not_received', 'withdrawn']);

export interface Settled {
  waitedMs: number;
  settled: boolean;
  open: string[];
  jobs: Record<string, number>;
}

export function opKey(id: string): string {
  return `{${PREFIX}}:op:${id}`;
}

/** Waits until no operation is open and the follow-up queues are idle, or `timeoutMs`. */
export async function settle(redis: Redis, ids: string[], timeoutMs: number): Promise<Settled> {
  const started = Date.now();
  const queues = ['device', 'status'].map((name) => new Queue(name, { connection: redis, prefix: `{${PREFIX}}` }));
  try {
    for (;;) {
      const pipe = redis.pipeline();
      for (const id of ids) pipe.hget(opKey(id), 'state');
      const states = ((await pipe.exec()) ?? []).map(([, v]) => (v as string | null) ?? 'missing');
      const open = ids.filter((_, i) => OPEN_STATES.has(states[i]!));
      const [device, status] = await Promise.all(queues.map((q) => q.getJobCounts('wait', 'active', 'delayed', 'prioritized')));
      const jobs = {
        'device.waiting': (device!.wait ?? 0) + (device!.prioritized ?? 0), 'device.active': device!.active ?? 0,
        'status.waiting': (status!.wait ?? 0) + (status!.prioritized ?? 0), 'status.active': status!.active ?? 0, 'status.delayed': status!.delayed ?? 0,
      };
      const idle = Object.values(jobs).every((n) => n === 0);
      const waitedMs = Date.now() - started;
      if ((open.length === 0 && idle) || waitedMs > timeoutMs) return { waitedMs, settled: open.length === 0 && idle, open, jobs };
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await Promise.all(queues.map((q) => q.close().catch(() => undefined)));
  }
}

async function simGet<T>(sys: System, path: string): Promise<T> {
  const r = await sys.sim('GET', path);
  if (r.status !== 200) throw new Error(`simulator ${path}: HTTP ${r.status}`);
  return r.body as T;
}

async function journal(sys: System): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  let since = 0;
  for (;;) {
    const page = await simGet<JournalEntry[]>(sys, `/_sim/journal?since=${since}&limit=5000`);
    out.push(...page);
    if (page.length < 5000) return out;
    since = page[page.length - 1]!.seq;
  }
}

export interface CheckInput {
  sys: System;
  log: WorkloadLog;
  timeline: Timeline;
  /** Ops a pause or partition fired on at their claim. */
  firedOn: Map<string, string>;
  late: LateDelivery[];
  /** Signatures of requests the gateway proxy struck with any fault. */
  struck: Set<string>;
  strictTtl: boolean;
  /** How long a not_received operation with a gateway trace is given to be re-verified. */
  reverifyGraceMs: number;
  /** The seed's order-id prefix (gateway orders with it and no operation of ours are ours too). */
  tag: string;
  /** Where to write the gateway's journal, ledger and stats (for a post-mortem). */
  artifacts?: string;
}

export interface CheckResult {
  violations: Violation[];
  warnings: Violation[];
  records: Map<string, Rec | null>;
  figures: Record<string, unknown>;
}

const ts = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);

/** A flag for a person in the stored record (`review`, `review_reason`, …), whatever its state. */
function reviewFlag(raw: Record<string, string> | undefined): string | null {
  if (!raw) return null;
  for (const [k, v] of Object.entries(raw)) if (/review|flag/i.test(k) && v && v !== '0' && v !== 'false') return `${k}=${v}`;
  return null;
}

export async function check(input: CheckInput): Promise<CheckResult> {
  const { sys, log } = input;
  const violations: Violation[] = [];
  const warnings: Violation[] = [];
  const v = (property: string, message: string, extra: Omit<Violation, 'property' | 'message'> = {}) => violations.push({ property, message, ...extra });
  const w = (property: string, message: string, extra: Omit<Violation, 'property' | 'message'> = {}) => warnings.push({ property, message, ...extra });
  const redis = new Redis(input.sys.redisUrl, { maxRetriesPerRequest: 5, lazyConnect: false });
  try {
    return await run();
  } finally {
    redis.disconnect();
  }

  async function run(): Promise<CheckResult> {
    const api = () => sys.apiUrl;
    const sent = [...log.ops.values()].filter((o) => !o.skipped || o.acked);
    const ids = sent.map((o) => o.id);

    // ── gather ──
    const loadRecords = async () => {
      const recs = new Map<string, Rec | null>();
      const raws = new Map<string, Record<string, string>>();
      for (const id of ids) {
        const { reply } = await callRetrying(api, 'GET', `/v1/operations/${encodeURIComponent(id)}`, { budgetMs: 20_000 });
        recs.set(id, reply?.status === 200 && isObject(reply.body) ? (reply.body as Rec) : null);
        const raw = await redis.hgetall(opKey(id));
        if (Object.keys(raw).length) raws.set(id, raw);
      }
      return { recs, raws };
    };
    let { recs, raws } = await loadRecords();
    let orders = await simGet<GwOrder[]>(sys, '/_sim/orders');

    // Re-verification grace: a not_received operation with a trace at the gateway may still be
    // flagged by its re-verification; give it `reverifyGraceMs` before judging.
    const traced = () => [...recs.values()].filter((r): r is Rec => r !== null && r.state === 'not_received' && !reviewFlag(raws.get(r.id)) && hasTrace(r));
    const deadline = Date.now() + input.reverifyGraceMs;
    let waitedForReverify = 0;
    while (traced().length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1_000));
      waitedForReverify = input.reverifyGraceMs - (deadline - Date.now());
      ({ recs, raws } = await loadRecords());
      orders = await simGet<GwOrder[]>(sys, '/_sim/orders');
    }

    const stats = await simGet<SimStats>(sys, '/_sim/stats');
    const entries = await journal(sys);
    if (input.artifacts) writeFileSync(input.artifacts, `${JSON.stringify({ stats, orders, journal: entries, records: Object.fromEntries(recs) })}\n`);
    const ours = orders.filter((o) => o.store_uid === STORE);
    const byOrder = new Map<string, GwOrder[]>();
    for (const o of ours) byOrder.set(o.order_id, [...(byOrder.get(o.order_id) ?? []), o]);
    const orderOf = (orderId: string | undefined) => (orderId ? byOrder.get(orderId)?.[0] : undefined);
    const lateSigs = new Set(input.late.filter((l) => l.answer?.code === 'B200').map((l) => l.sig));
    const posts = entries.filter((e) => e.cmd !== 'api/querydirect' && e.cmd !== '-' && e.request);
    const actedOn = (e: JournalEntry) => e.acted ?? (e.status === 200 && e.answer?.code === 'B200');
    const flagged = (r: Rec) => r.state === 'needs_review' || r.state === 'unresolved' || reviewFlag(raws.get(r.id)) !== null;
    const open = (r: Rec) => OPEN_STATES.has(r.state);
    const chargeRec = (r: Rec) => (r.charge_id ? recs.get(r.charge_id) ?? null : null);

    function hasTrace(r: Rec): boolean {
      const orderOf = (id: string | undefined) => orders.find((o) => o.store_uid === STORE && o.order_id === id);
      if (r.kind === 'charge') return Boolean(orderOf(r.order_id));
      if (r.kind === 'refund') {
        const claimed = new Set([...recs.values()].filter((x) => x?.kind === 'refund' && x.state === 'refunded').map((x) => x!.refund_uid));
        const o = orderOf(r.order_id);
        return Boolean(o && o.refunds.some((x) => x.cost === r.cost && !claimed.has(x.uid)));
      }
      return false;
    }

    const byId = (id: string) => recs.get(id) ?? null;
    const opsOf = (pred: (o: OpLog) => boolean) => sent.filter(pred);

    // ── 1. acknowledged → recorded ──
    for (const o of sent) {
      if (o.acked && !byId(o.id)) v('1-acknowledged-recorded', `${o.id}: acknowledged (202) at +${((o.ackedAt ?? 0) - input.timeline.t0) / 1000}s but GET /v1/operations answers 404`, { opIds: [o.id], at: o.ackedAt });
    }

    // ── 2. at most one acted-on POST ──
    const ourOrders = new Set(opsOf((o) => o.kind === 'charge').map((o) => o.orderId));
    for (const [orderId, list] of byOrder) {
      const mine = ourOrders.has(orderId);
      if (!mine && orderId.startsWith(`${input.tag}-`)) v('2-one-post', `gateway order ${orderId} (prc ${list[0]!.prc}) belongs to no operation we sent: a refused request moved money`, { at: list[0]!.createdAt });
      if (list.length > 1) v('2-one-post', `order ${orderId}: ${list.length} orders at the gateway (double charge)`, { opIds: [`charge.${STORE}.${orderId}`], at: list[1]!.createdAt });
    }
    for (const [orderId, n] of Object.entries(stats.chargePosts)) {
      if (n > 1) v('2-one-post', `order ${orderId}: ${n} charge POSTs accepted by the gateway (double charge)`, { opIds: [`charge.${STORE}.${orderId}`] });
    }
    for (const [orderId, n] of Object.entries(stats.duplicateChargePosts)) {
      const dup = posts.filter((e) => e.cmd === 'api/postransaction' && e.request?.order_id === orderId);
      v('2-one-post', `order ${orderId}: charge POSTed ${dup.length} times; the gateway refused ${n} as a repeat ("訂單編號已存在") — an earlier POST had been acted on, and a gateway that does not refuse repeats would have charged twice`, {
        opIds: [`charge.${STORE}.${orderId}`], at: dup[dup.length - 1]?.at,
      });
    }
    // Refunds, per order.
    const refundOps = [...recs.values()].filter((r): r is Rec => r?.kind === 'refund');
    for (const chargeOp of opsOf((o) => o.kind === 'charge')) {
      const order = orderOf(chargeOp.orderId);
      if (!order) continue;
      const mine = refundOps.filter((r) => r.order_id === chargeOp.orderId);
      const refunded = mine.filter((r) => r.state === 'refunded').length;
      const allowance = refunded + mine.filter((r) => r.state !== 'refunded' && (flagged(r) || open(r))).length;
      if (order.refunds.length > allowance) {
        const extra = order.refunds[order.refunds.length - 1]!;
        v('2-one-post', `order ${order.order_id}: ${order.refunds.length} refund rows at the gateway (${order.refunds.map((x) => `${x.uid}:${x.cost}/${x.prc}`).join(', ')}) but our refunds account for ${allowance} (${mine.map((r) => `${r.id.split('.').pop()} ${r.state}`).join(', ') || 'none'}): double refund`, {
          opIds: mine.map((r) => r.id), at: extra.createdAt,
        });
      }
      const total = order.refunds.reduce((s, x) => s + x.cost, 0);
      if (total > order.cost) v('2-one-post', `order ${order.order_id}: refunded ${total} > charged ${order.cost}`, { opIds: mine.map((r) => r.id), at: order.refunds[order.refunds.length - 1]?.createdAt });
    }
    // Reprints, per (command, uid).
    const reprintPosts = new Map<string, JournalEntry[]>();
    for (const e of posts) {
      if (!e.cmd.startsWith('api/posreprint') || !actedOn(e)) continue;
      const k = `${e.cmd} ${String(e.request?.uid)}`;
      reprintPosts.set(k, [...(reprintPosts.get(k) ?? []), e]);
    }
    const reprintRecs = [...recs.values()].filter((r): r is Rec => r !== null && r.kind.startsWith('reprint'));
    const reprintKey = (r: Rec) => `${r.kind === 'reprint_invoice' ? 'api/posreprintinvoice' : 'api/posreprintsignature'} ${r.uid ?? chargeRec(r)?.uid ?? '?'}`;
    for (const [k, list] of reprintPosts) {
      const mine = reprintRecs.filter((r) => reprintKey(r) === k);
      const allowance = mine.filter((r) => r.state === 'printed' || flagged(r) || open(r)).length;
      if (list.length > allowance) v('2-one-post', `${k}: printed ${list.length} times at the gateway, our reprints account for ${allowance}`, { opIds: mine.map((r) => r.id), at: list[list.length - 1]!.at });
    }

    const sigOf = (id: string): string | null => {
      const r = byId(id);
      if (!r) return null;
      if (r.kind === 'charge') return `charge ${r.order_id}`;
      const uid = r.uid ?? chargeRec(r)?.uid;
      if (r.kind === 'refund') return `refund ${uid} ${r.cost}`;
      return `${r.kind === 'reprint_invoice' ? 'api/posreprintinvoice' : 'api/posreprintsignature'} ${uid}`;
    };
    // ── 3. no busy violation ──
    // Busy answers the nemesis caused itself are left out: a late delivery it forwarded that met a
    // busy terminal, and a terminal kept busy by a late delivery it forwarded *beyond* the terminal
    // window (the system had rightly moved on). Busy caused by a delivery inside the window counts:
    // the terminal must still be held then.
    const injectedRefs = new Set<string>();
    for (const l of input.late) {
      if (l.label !== 'gw-late-beyond' || l.answer?.code !== 'B200' || !l.forwardedAt) continue;
      const [kind, a, b] = l.sig.split(' ');
      if (kind === 'charge') {
        const o = orderOf(a);
        if (o) injectedRefs.add(`charge ${o.uid}`);
      } else if (kind === 'refund') {
        const o = ours.find((x) => x.uid === a);
        for (const row of o?.refunds ?? []) if (String(row.cost) === b && row.createdAt >= l.forwardedAt - 200 && row.createdAt <= l.forwardedAt + 2_000) injectedRefs.add(`refund ${row.uid}`);
      }
    }
    const answeredBusy = input.late.filter((l) => /處理中/.test(l.answer?.msg ?? ''));
    const byLateCopy = (b: SimStats['busyViolationLog'][number]) => answeredBusy.some((l) => l.device === b.device_name && Math.abs((l.forwardedAt ?? 0) - b.at) < 1_000);
    const injectedBusy = stats.busyViolationLog.filter((b) => byLateCopy(b) || injectedRefs.has(b.busyWith));
    const unexplained = stats.busyViolationLog.filter((b) => !injectedBusy.includes(b));
    const busyOps = (b: SimStats['busyViolationLog'][number]): string[] => {
      const ids: string[] = [];
      const e = posts.find((x) => x.request?.device_name === b.device_name && x.cmd === b.cmd && Math.abs(x.at - b.at) < 100 && /處理中/.test(x.answer?.msg ?? ''));
      if (e) {
        const r = e.request!;
        const sig = e.cmd === 'api/postransaction' ? `charge ${String(r.order_id)}` : e.cmd === 'api/posrefund' ? `refund ${String(r.uid)} ${String(r.cost)}` : `${e.cmd} ${String(r.uid)}`;
        for (const id of recs.keys()) if (sigOf(id) === sig) ids.push(id);
      }
      const [op, ...ref] = b.busyWith.split(' ');
      for (const r of recs.values()) {
        if (!r) continue;
        if (op === 'charge' && r.kind === 'charge' && r.uid === ref[0]) ids.push(r.id);
        if (op === 'refund' && r.kind === 'refund' && r.refund_uid === ref[0]) ids.push(r.id);
        if (op === 'reprint' && r.kind === `reprint_${ref[0]}` && (r.uid ?? chargeRec(r)?.uid) === ref[1]) ids.push(r.id);
      }
      return [...new Set(ids)];
    };
    const busyCount = stats.busyViolations - injectedBusy.length;
    if (busyCount > 0) {
      for (const b of unexplained.slice(0, 20)) v('3-no-busy', `${b.cmd} sent to terminal ${b.device_name} while it was busy with ${b.busyWith}`, { at: b.at, opIds: busyOps(b) });
      if (unexplained.length === 0) v('3-no-busy', `${busyCount} busy violations (not in the simulator's last-100 log)`);
    }

    // ── 4. FIFO per terminal ──
    const firstAccepted = new Map<string, JournalEntry>();
    for (const e of posts) {
      if (!actedOn(e)) continue;
      const r = e.request!;
      const sig = e.cmd === 'api/postransaction' ? `charge ${String(r.order_id)}` : e.cmd === 'api/posrefund' ? `refund ${String(r.uid)} ${String(r.cost)}` : `${e.cmd} ${String(r.uid)}`;
      if (!firstAccepted.has(sig)) firstAccepted.set(sig, e);
    }
    let fifoChecked = 0;
    for (const [device, line] of log.lines) {
      const expected: { id: string; sig: string }[] = [];
      for (const id of line) {
        const r = byId(id);
        const sig = sigOf(id);
        if (!r || !sig || !firstAccepted.has(sig)) continue;
        if (NOTHING_MOVED.has(r.state) || flagged(r)) continue; // a late arrival after we gave up is not a send in line
        expected.push({ id, sig });
      }
      const observed = [...expected].sort((a, b) => firstAccepted.get(a.sig)!.seq - firstAccepted.get(b.sig)!.seq);
      fifoChecked += expected.length;
      const i = expected.findIndex((e, k) => e.id !== observed[k]!.id);
      if (i >= 0) {
        const got = observed[i]!;
        v('4-fifo', `terminal ${device}: the gateway accepted ${got.id} before ${expected[i]!.id}, which was enqueued first`, {
          opIds: [expected[i]!.id, got.id], at: firstAccepted.get(got.sig)!.at,
        });
      }
    }

    // ── 5. our final state = the gateway's ──
    /** Did a query ever answer us with a final prc for this order? (Else nobody told us the outcome.) */
    const toldFinal = (r: Rec): boolean =>
      (r.audit ?? []).some((a) => {
        if (a.event !== 'query' || !isObject(a.data) || !isObject(a.data.answer)) return false;
        const rows = a.data.answer.rows;
        return Array.isArray(rows) && rows.some((row) => isObject(row) && row.order_id === r.order_id && CLEAN_FINAL_PRC.has(String(row.prc)));
      });
    const ledgerReason = (r: Rec, o: GwOrder | undefined): string | null => {
      if (!o) return 'no order at the gateway';
      if (!toldFinal(r)) return 'no query ever answered with a final prc (the follow-up kept failing)';
      if (NON_FINAL_PRC.has(o.prc)) return `prc ${o.prc} is not final at the gateway`;
      if (!CLEAN_FINAL_PRC.has(o.prc)) return `prc ${o.prc} at the gateway (mismatch or a code outside the spec)`;
      if (lateSigs.has(`charge ${r.order_id}`) || input.firedOn.has(r.id)) return 'the gateway acted after the client had given up (injected)';
      if (input.struck.has(`charge ${r.order_id}`)) return 'its POST or answer was struck by a gateway fault';
      return null;
    };
    for (const o of opsOf((x) => x.kind === 'charge')) {
      const r = byId(o.id);
      if (!r || open(r)) continue;
      const order = orderOf(o.orderId);
      const at = order?.createdAt ?? ts(r.finished_at) ?? ts(r.updated_at);
      if (NOTHING_MOVED.has(r.state)) {
        if (order && !reviewFlag(raws.get(r.id))) v('5-agree', `${o.id}: we say ${r.state}, the gateway has the order (uid ${order.uid}, prc ${order.prc}) and nothing flags it for review`, { opIds: [o.id], at });
        continue;
      }
      if (r.state === 'needs_review' || r.state === 'unresolved') {
        const why = ledgerReason(r, order);
        if (!why) v('5-agree', `${o.id}: ${r.state} (${r.message ?? 'no reason'}) but the gateway has a clean final prc ${order!.prc} and nothing about this order was struck`, { opIds: [o.id], at });
        continue;
      }
      const want = EXPECTED_PRC[r.state];
      if (!want) {
        v('5-agree', `${o.id}: final state ${r.state} is not one a charge can end in`, { opIds: [o.id], at });
        continue;
      }
      if (!order) {
        v('5-agree', `${o.id}: we say ${r.state}, the gateway has no order`, { opIds: [o.id], at });
        continue;
      }
      if (!want.includes(order.prc)) v('5-agree', `${o.id}: we say ${r.state}, the gateway says prc ${order.prc}`, { opIds: [o.id], at });
      // Money: our refunded amount = the gateway's completed refunds, unless a refund of ours is still
      // open or flagged for a person (its money may be either way).
      const mine = refundOps.filter((x) => x.order_id === o.orderId);
      const gwDone = order.refunds.filter((x) => x.prc === '230').reduce((s, x) => s + x.cost, 0);
      const ourDone = Number(r.refunded_amount ?? 0);
      const undecided = mine.some((x) => open(x) || flagged(x));
      if (undecided ? ourDone > gwDone : ourDone !== gwDone) {
        v('5-agree', `${o.id}: we say ${ourDone} refunded, the gateway ${gwDone} (${order.refunds.map((x) => `${x.uid}:${x.cost}/${x.prc}`).join(', ') || 'no refund'})`, { opIds: [o.id, ...mine.map((x) => x.id)], at });
      }
      if (r.state === 'paid' && gwDone > 0 && !undecided) v('5-agree', `${o.id}: we say paid, the gateway refunded ${gwDone}`, { opIds: [o.id], at });
    }
    const uidSeen = new Map<string, string>();
    for (const r of refundOps) {
      if (open(r)) continue;
      const order = orderOf(r.order_id);
      const at = ts(r.finished_at) ?? ts(r.updated_at);
      if (r.state === 'refunded') {
        const row = order?.refunds.find((x) => x.uid === r.refund_uid);
        if (!row) v('5-agree', `${r.id}: we say refunded (refund uid ${r.refund_uid ?? 'none'}), the gateway has no such refund row`, { opIds: [r.id], at });
        else if (row.prc !== '230' || row.cost !== r.cost) v('5-agree', `${r.id}: we say refunded ${r.cost}, the gateway row ${row.uid} is ${row.cost} prc ${row.prc}`, { opIds: [r.id], at });
        if (r.refund_uid && uidSeen.has(r.refund_uid)) v('5-agree', `${r.id} and ${uidSeen.get(r.refund_uid)} both claim gateway refund ${r.refund_uid}`, { opIds: [r.id, uidSeen.get(r.refund_uid)!], at });
        if (r.refund_uid) uidSeen.set(r.refund_uid, r.id);
      } else if (!NOTHING_MOVED.has(r.state) && !flagged(r)) {
        v('5-agree', `${r.id}: final state ${r.state} is not one a refund can end in`, { opIds: [r.id], at });
      }
    }
    for (const r of reprintRecs) {
      if (r.state !== 'printed') continue;
      if (!reprintPosts.has(reprintKey(r))) v('5-agree', `${r.id}: we say printed, the gateway never accepted that reprint`, { opIds: [r.id], at: ts(r.finished_at) });
    }

    // ── 8. cancel vs claim: exactly one wins ──
    for (const o of sent) {
      if (!o.cancel) continue;
      const r = byId(o.id);
      // A POST the gateway did not act on (terminal offline → retry_wait) may precede a withdrawal.
      const chargePosts = posts.filter((e) => e.cmd === 'api/postransaction' && e.request?.order_id === o.orderId && actedOn(e));
      if (o.cancel.status === 200) {
        if (r?.state !== 'withdrawn') v('8-cancel', `${o.id}: cancel answered 200 but the operation is ${r?.state ?? 'missing'}`, { opIds: [o.id], at: o.cancel.at });
        if (chargePosts.length > 0 || orderOf(o.orderId)) v('8-cancel', `${o.id}: cancel answered 200 but the gateway acted on ${chargePosts.length} charge POST(s) (gateway order: ${orderOf(o.orderId) ? 'yes' : 'no'})`, { opIds: [o.id], at: chargePosts[0]?.at ?? o.cancel.at });
      } else if (o.cancel.status === 409 && r?.state === 'withdrawn') {
        v('8-cancel', `${o.id}: cancel answered 409 but the operation is withdrawn`, { opIds: [o.id], at: o.cancel.at });
      }
    }

    // ── 9. events: written with the state change ──
    const eventsByOp = new Map<string, { sid: string; type: string; state: string }[]>();
    for (const [sid, fields] of (await redis.xrange(`{${PREFIX}}:events`, '-', '+')) as [string, string[]][]) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      if (f.store !== STORE) continue;
      let state = '';
      try {
        state = String((JSON.parse(f.obj ?? '{}') as { state?: unknown }).state ?? '');
      } catch {
        state = '';
      }
      eventsByOp.set(f.op ?? '', [...(eventsByOp.get(f.op ?? '') ?? []), { sid, type: f.type ?? '', state }]);
    }
    for (const r of recs.values()) {
      if (!r) continue;
      const expected = eventTypeFor(r.kind as OperationKind, r.state as OperationState);
      const list = eventsByOp.get(r.id) ?? [];
      const last = list[list.length - 1];
      if (expected && (!last || last.type !== expected || last.state !== r.state)) {
        v('9-events', `${r.id}: ended ${r.state} but its last event is ${last ? `${last.type} (state ${last.state})` : 'missing'}; expected ${expected}`, { opIds: [r.id] });
      }
    }

    // ── 6. every open operation has a follow-up ──
    const stillOpen = [...recs.values()].filter((r): r is Rec => r !== null && open(r));
    if (stillOpen.length) {
      const queues = { device: new Queue('device', { connection: redis, prefix: `{${PREFIX}}` }), status: new Queue('status', { connection: redis, prefix: `{${PREFIX}}` }) };
      try {
        const live = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);
        for (const r of stillOpen) {
          const jobs = [await queues.device.getJob(r.id), await queues.status.getJob(`${r.id}.status`)];
          const states = await Promise.all(jobs.map((j) => (j ? j.getState() : Promise.resolve('none'))));
          if (!states.some((s) => live.has(s))) v('6-follow-up', `${r.id} is ${r.state} and nothing will move it (device job ${states[0]}, status job ${states[1]})`, { opIds: [r.id], at: ts(r.updated_at) });
          else w('6-follow-up', `${r.id} still ${r.state} after the settle wait (device job ${states[0]}, status job ${states[1]})`, { opIds: [r.id] });
        }
      } finally {
        await Promise.all([queues.device.close(), queues.status.close()]);
      }
    }

    // ── 7. bounded keys ──
    const unbounded = await keysWithoutTtl(redis);
    for (const [pattern, n] of unbounded) (input.strictTtl ? v : w)('7-bounded-keys', `${n} key(s) without TTL: ${pattern}`);

    // ── the workload's own expectations ──
    for (const b of log.bad) {
      if (b.skipped) continue;
      if (b.status === null) w('bad-request', `${b.variant}: no answer within the retry budget`);
      else if (b.status < 400 || b.status >= 500) v('bad-request', `${b.variant}: answered ${b.status}, expected a 4xx refusal`, { at: b.at });
      for (const id of b.mustNotExist) if (await redis.exists(opKey(id))) v('bad-request', `${b.variant}: refused, but operation ${id} exists`, { opIds: [id], at: b.at });
      if (b.unchanged) {
        const r = byId(b.unchanged.id);
        if (r && r.cost !== b.unchanged.cost) v('bad-request', `${b.variant}: ${b.unchanged.id} now has cost ${r.cost}, was ${b.unchanged.cost}`, { opIds: [b.unchanged.id], at: b.at });
      }
    }
    for (const rp of log.replays) {
      if (rp.skipped) continue;
      if (rp.status !== 202 || !rp.replayed || !rp.sameId) v('replay', `replay of ${rp.of}: ${rp.status ?? 'no answer'}, replayed ${rp.replayed}, same id ${rp.sameId}`, { opIds: [rp.of], at: rp.at });
    }

    // ── figures ──
    const states: Record<string, Record<string, number>> = {};
    for (const r of recs.values()) {
      if (!r) continue;
      const k = r.kind.startsWith('reprint') ? 'reprint' : r.kind;
      states[k] ??= {};
      states[k]![r.state] = (states[k]![r.state] ?? 0) + 1;
    }
    const acked = sent.filter((o) => o.acked).length;
    const figures: Record<string, unknown> = {
      operations: { sent: sent.length, acknowledged: acked, 'not acknowledged': sent.length - acked, 'not sent (charge not paid in time)': log.ops.size - sent.length, lost: sent.filter((o) => o.acked && !byId(o.id)).length },
      states,
      gateway: { orders: ours.length, refundRows: ours.reduce((s, o) => s + o.refunds.length, 0), requests: stats.requests, answers: stats.answers, busyViolations: stats.busyViolations, busyFromInjectedLateDeliveries: injectedBusy.length },
      lateDeliveries: { total: input.late.length, actedOn: input.late.filter((l) => l.answer?.code === 'B200').length, refused: input.late.filter((l) => l.answer && l.answer.code !== 'B200').length },
      cancels: `${sent.filter((o) => o.cancel?.status === 200).length} withdrawn, ${sent.filter((o) => o.cancel?.status === 409).length} too late, ${sent.filter((o) => o.cancel && o.cancel.status !== 200 && o.cancel.status !== 409).length} other`,
      replays: `${log.replays.filter((r) => !r.skipped && r.status === 202 && r.replayed && r.sameId).length}/${log.replays.filter((r) => !r.skipped).length} replayed`,
      badRequests: `${log.bad.filter((b) => !b.skipped && b.status !== null && b.status >= 400 && b.status < 500).length}/${log.bad.filter((b) => !b.skipped).length} refused with 4xx`,
      batch: log.batch ?? 'not planned',
      fifoOperationsChecked: fifoChecked,
      reverifyWaitMs: waitedForReverify,
      unanswered: log.unanswered,
    };
    return { violations, warnings, records: recs, figures };
  }
}

/**
 * Keys with no TTL outside what is bounded by construction: BullMQ's own keys (bounded by job
 * retention), per-terminal structures (bounded by the fleet), indexes of open operations, and
 * per-operation keys of operations still open. Returns pattern → count.
 */
export async function keysWithoutTtl(redis: Redis): Promise<Map<string, number>> {
  const p = `{${PREFIX}}`;
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const queues = new Set(keys.filter((k) => k.startsWith(`${p}:`) && k.endsWith(':meta')).map((k) => k.slice(p.length + 1, -':meta'.length)));
  const pipe = redis.pipeline();
  for (const k of keys) pipe.pttl(k);
  const ttls = ((await pipe.exec()) ?? []).map(([, t]) => Number(t));
  const out = new Map<string, number>();
  const opState = async (id: string) => (await redis.hget(`${p}:op:${id}`, 'state')) ?? 'missing';
  for (let i = 0; i < keys.length; i++) {
    if (ttls[i] !== -1) continue;
    const k = keys[i]!;
    const rest = k.startsWith(`${p}:`) ? k.slice(p.length + 1) : null;
    if (rest === null) {
      out.set(k, (out.get(k) ?? 0) + 1);
      continue;
    }
    const [head, ...tailParts] = rest.split(':');
    if (queues.has(head!)) continue; // BullMQ: bounded by job retention
    if (['leases', 'devices', 'open', 'janitor'].includes(rest)) continue;
    if (rest === 'batches') continue; // the batch index: trimmed to the batch retention on every batch written
    if (['lease', 'mb', 'dev', 'audit-dev'].includes(head!)) continue; // per terminal, capped
    let pattern = tailParts.length ? `${p}:${head}:*` : k;
    if (['op', 'audit', 'claimed', 'children'].includes(head!)) {
      const state = await opState(tailParts.join(':'));
      if (OPEN_STATES.has(state) || state === 'not_received') continue; // open: expires once final
      pattern = `${p}:${head}:<${state} operation>`;
    }
    out.set(pattern, (out.get(pattern) ?? 0) + 1);
  }
  return out;
}
