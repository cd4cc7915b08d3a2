/**
 * The payments ledger: orders per store (by `order_id` and by `uid`), their prc history, and refunds
 * with the refundable balance. Pure bookkeeping; timing and terminals are the simulator's job.
 * An `order_id` normally has one order, but a gateway that accepts repeated order_ids
 * (`duplicateOrders: 'accept'`) gives it several: every one is kept, oldest first.
 */
import { randomBytes } from 'node:crypto';
import { FAILED_PRC, REFUNDABLE_PRC } from './outcomes.js';

export interface Item {
  id: string;
  name: string;
  cost: string;
  amount: string;
  total: string;
}

export interface Refund {
  /** Refund transaction uid (退款之交易流水號), distinct for every refund. */
  uid: string;
  cost: number;
  items?: Item[];
  invoice_state?: string | number;
  /** `200` while the terminal works on it, then `230`. */
  prc: string;
  createdAt: number;
  finishedAt?: number;
}

export interface Order {
  store_uid: string;
  order_id: string;
  uid: string;
  key: string;
  device_name: string;
  cost: number;
  currency: string;
  pfn: string;
  user_id: string;
  items: Item[];
  echo: [string, string, string, string, string];
  prc: string;
  createdAt: number;
  finishedAt?: number;
  history: { prc: string; at: number }[];
  refunds: Refund[];
}

export type NewOrder = Omit<Order, 'uid' | 'key' | 'prc' | 'history' | 'refunds' | 'finishedAt'> & { uid?: string; key?: string };

/** 32 hex characters like the spec's sample keys, drawn from a pooled random buffer (one syscall per 256 keys). */
const newKey = (() => {
  let pool = Buffer.alloc(0);
  let offset = 0;
  return (): string => {
    if (offset + 16 > pool.length) {
      pool = randomBytes(4_096);
      offset = 0;
    }
    offset += 16;
    return pool.toString('hex', offset - 16, offset);
  };
})();

/** First generated uid; the spec's sample uids (70233, 88833) stay below it. */
const FIRST_UID = 100_001;

export class Ledger {
  private readonly byOrder = new Map<string, Map<string, Order[]>>();
  private readonly byUid = new Map<string, Order>();
  private nextUid = FIRST_UID;

  /** `changed`: told after every change (an order or refund created or moved on, clear, restore), e.g. to save. */
  constructor(private readonly changed: () => void = () => {}) {}

  create(input: NewOrder): Order {
    const order: Order = {
      ...input,
      uid: input.uid ?? String(this.nextUid++),
      key: input.key ?? newKey(),
      prc: '200',
      history: [{ prc: '200', at: input.createdAt }],
      refunds: [],
    };
    this.insert(order);
    this.changed();
    return order;
  }

  private insert(order: Order): void {
    let store = this.byOrder.get(order.store_uid);
    if (!store) this.byOrder.set(order.store_uid, (store = new Map()));
    const same = store.get(order.order_id);
    if (same) same.push(order);
    else store.set(order.order_id, [order]);
    this.byUid.set(order.uid, order);
  }

  /**
   * Replaces the ledger with saved orders (oldest first, as {@link orders} lists them), taken as they
   * are; a uid seen twice keeps its first order. The uid counter continues after `nextUid` and after
   * every numeric uid of the orders and their refunds, so no uid is ever given twice.
   */
  restore(orders: readonly Order[], nextUid: number): void {
    this.byOrder.clear();
    this.byUid.clear();
    let next = Math.max(FIRST_UID, Math.trunc(nextUid) || 0);
    for (const o of orders) {
      if (this.byUid.has(o.uid)) continue;
      this.insert(o);
      for (const uid of [o.uid, ...o.refunds.map((r) => r.uid)]) if (/^\d+$/.test(uid)) next = Math.max(next, Number(uid) + 1);
    }
    this.nextUid = next;
    this.changed();
  }

  /** The uid the next order or refund gets. */
  peekNextUid(): number {
    return this.nextUid;
  }

  /** The order with this uid, whatever its store. */
  get(uid: string): Order | undefined {
    return this.byUid.get(uid);
  }

  /** The newest order of `order_id` in `store` (the only one unless repeated order_ids are accepted). */
  find(store: string, orderId: string): Order | undefined {
    return this.byOrder.get(store)?.get(orderId)?.at(-1);
  }

  /** Every order of `order_id` in `store`, oldest first (a copy). */
  findAll(store: string, orderId: string): Order[] {
    return [...(this.byOrder.get(store)?.get(orderId) ?? [])];
  }

  /** The order with this uid in this store, only when `key` matches too. */
  findByUidKey(store: string, uid: string, key: string): Order | undefined {
    const o = this.byUid.get(uid);
    return o && o.store_uid === store && o.key === key ? o : undefined;
  }

  setPrc(order: Order, prc: string, at: number): void {
    order.prc = prc;
    order.history.push({ prc, at });
    if (prc !== '200') order.finishedAt = at;
    this.changed();
  }

  /** Amount still refundable: cost minus every refund, pending ones included. */
  balance(order: Order): number {
    if (!REFUNDABLE_PRC.has(order.prc) && order.prc !== '230') return 0;
    return order.cost - order.refunds.reduce((sum, r) => sum + r.cost, 0);
  }

  isRefundable(order: Order): boolean {
    return REFUNDABLE_PRC.has(order.prc);
  }

  isFailed(order: Order): boolean {
    return FAILED_PRC.has(order.prc);
  }

  addRefund(order: Order, refund: Omit<Refund, 'uid' | 'prc'>): Refund {
    const r: Refund = { ...refund, uid: String(this.nextUid++), prc: '200' };
    order.refunds.push(r);
    this.changed();
    return r;
  }

  /** Completes a refund; a fully refunded order's own prc becomes 230 (退款成功). */
  finishRefund(order: Order, refund: Refund, at: number): void {
    refund.prc = '230';
    refund.finishedAt = at;
    const done = order.refunds.reduce((sum, r) => sum + (r.prc === '230' ? r.cost : 0), 0);
    if (done >= order.cost && order.prc !== '230') this.setPrc(order, '230', at);
    this.changed();
  }

  /** `uid` → refunded amount (completed and pending) for stats. */
  refundsByUid(): Record<string, { count: number; amount: number; balance: number }> {
    const out: Record<string, { count: number; amount: number; balance: number }> = {};
    for (const o of this.byUid.values()) {
      if (o.refunds.length === 0) continue;
      out[o.uid] = { count: o.refunds.length, amount: o.refunds.reduce((s, r) => s + r.cost, 0), balance: this.balance(o) };
    }
    return out;
  }

  orders(): Order[] {
    return [...this.byUid.values()];
  }

  clear(): void {
    this.byOrder.clear();
    this.byUid.clear();
    this.nextUid = FIRST_UID;
    this.changed();
  }
}
