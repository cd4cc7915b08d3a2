/**
 * The gateway and its terminals, without HTTP: decodes an envelope, validates the command, and
 * applies it to the fleet and the ledger. The HTTP server adds faults, journal and I/O around it.
 *
 * Check order for terminal operations (charge, refund, reprints), documented in docs/SIMULATOR.md:
 * payload schema → store_uid matches the envelope → terminal exists → online → idle (else a busy
 * violation) → business rules (repeated order_id, uid + key, refundable balance, items) → accepted.
 * A repeated order_id is refused (`duplicateOrders: 'refuse'`, the default) or becomes a new order
 * with its own uid and key (`'accept'`: a gateway that does not de-duplicate).
 */
import { CodecError, EnvelopeError, openEnvelope, parseEnvelope, type Command } from '../domain/codec/index.js';
import { ok, reject, type Answer } from './answers.js';
import type { Clock } from './clock.js';
import { Fleet, type Operation, type Terminal } from './fleet.js';
import { Ledger, type Item, type Order, type Refund } from './ledger.js';
import type { DuplicateOrders } from './options.js';
import { MSG } from './messages.js';
import { outcomeForAmount, outcomeSteps, type OutcomeScript, type OutcomeStep } from './outcomes.js';
import { notFoundRow, orderRow } from './rows.js';
import { Stats } from './stats.js';
import type { SimStore } from './stores.js';
import { validateCommand, type ChargeData, type QueryData, type RefundData, type ReprintData } from './validate.js';

export interface EngineOptions {
  clock: Clock;
  /** Terminal time for a charge or refund, drawn per operation. */
  serviceMs: () => number;
  /** Terminal time for a reprint. */
  printMs: () => number;
  /** Delay between outcome steps when a step has no `afterMs` (A0001 → 250 and the like). */
  followUpMs: number;
  /** Pick outcomes by the amount's last two digits. */
  amountOutcomes: boolean;
  /** A repeated order_id: refused with B500 (default) or charged again as a new order. */
  duplicateOrders?: DuplicateOrders;
  /** Told about every prc change of a charge and every completed refund (callbacks). */
  onChange?: (event: ChangeEvent) => void;
}

/**
 * Whether the gateway acted on a charge or refund, i.e. created the order or the refund: exactly
 * the B200 answers of those two commands. `undefined` for every other command.
 */
export function actedOn(cmd: string, answer: Answer | null | undefined): boolean | undefined {
  if (cmd !== 'api/postransaction' && cmd !== 'api/posrefund') return undefined;
  return answer?.code === 'B200';
}

export type ChangeEvent = { type: 'charge'; order: Order } | { type: 'refund'; order: Order; refund: Refund };

export type Decoded =
  | { ok: true; store_uid: string; cmd: Command; data: Record<string, unknown> }
  | { ok: false; store_uid: string; answer: Answer };

const isAnswer = (x: Terminal | Answer): x is Answer => 'code' in x;

const scriptKey = (store: string, orderId: string) => `${store}\u0000${orderId}`;

export class Engine {
  readonly fleet = new Fleet();
  readonly ledger = new Ledger();
  stats = new Stats();
  /** Current handling of repeated order_ids; changeable at run time (`POST /_sim/config`), restored by reset. */
  duplicateOrders: DuplicateOrders;
  private readonly stores = new Map<string, string>();
  private readonly scripts = new Map<string, OutcomeScript>();
  private readonly timers = new Set<unknown>();

  constructor(private readonly options: EngineOptions) {
    this.duplicateOrders = options.duplicateOrders ?? 'refuse';
  }

  addStore(store: SimStore, devices: Iterable<string>): void {
    this.stores.set(store.store_uid, store.key);
    this.fleet.add(store.store_uid, devices);
  }

  hasStore(storeUid: string): boolean {
    return this.stores.has(storeUid);
  }

  storeUids(): string[] {
    return [...this.stores.keys()];
  }

  /** Per-order outcome for the next charge of `order_id` in `store` (consumed by that charge). */
  script(store: string, orderId: string, outcome: OutcomeScript): void {
    this.scripts.set(scriptKey(store, orderId), outcome);
  }

  /** Parses and decrypts a raw `POST /api/init` body. Failures are final answers. */
  decode(body: string, contentType: string): Decoded {
    let envelope;
    try {
      envelope = parseEnvelope(body, contentType);
    } catch (err) {
      if (err instanceof EnvelopeError) return { ok: false, store_uid: '', answer: reject(MSG.invalid(err.field, '為必填')) };
      throw err;
    }
    const key = this.stores.get(envelope.store_uid);
    if (key === undefined) return { ok: false, store_uid: envelope.store_uid, answer: reject(MSG.unknownStore) };
    try {
      const { cmd, data } = openEnvelope(envelope, key);
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new CodecError();
      return { ok: true, store_uid: envelope.store_uid, cmd, data: data as Record<string, unknown> };
    } catch (err) {
      // No detail: an undecryptable payload must not tell a prober which step failed.
      if (err instanceof CodecError) return { ok: false, store_uid: envelope.store_uid, answer: reject(MSG.failed) };
      throw err;
    }
  }

  /** Applies one decoded command. */
  execute(store: string, cmd: Command, raw: Record<string, unknown>): Answer {
    const v = validateCommand(cmd, raw);
    if (!v.ok) return reject(MSG.invalid(v.field, v.problem));
    if (v.data.store_uid !== store) return reject(MSG.storeMismatch);
    switch (v.cmd) {
      case 'api/querydirect':
        return this.query(store, v.data);
      case 'api/postransaction':
        return this.charge(store, v.data);
      case 'api/posrefund':
        return this.refund(store, v.data);
      case 'api/posreprintinvoice':
      case 'api/posreprintsignature':
        return this.reprint(store, v.cmd, v.data);
    }
  }

  /** The idle terminal, or the B500 that says why not (counting busy violations). */
  private terminal(store: string, device: string, cmd: Command): Terminal | Answer {
    const t = this.fleet.get(store, device);
    if (!t) return reject(MSG.unknownDevice(device));
    if (!t.online) return reject(MSG.offline(device));
    if (t.busy) {
      this.stats.violation({ at: this.options.clock.now(), store_uid: store, device_name: device, cmd, busyWith: `${t.busy.op} ${t.busy.ref}` });
      return reject(MSG.busy(device));
    }
    return t;
  }

  private query(store: string, q: QueryData): Answer {
    // The order is identified by order_id and cost together, as the query's required fields suggest.
    // Several orders of one order_id (repeats accepted) are listed newest first.
    const cost = Number(q.cost);
    const rows = this.ledger
      .findAll(store, q.order_id)
      .filter((o) => o.cost === cost)
      .reverse()
      .map(orderRow);
    return { code: 'B200', msg: MSG.queryOk, rows: rows.length > 0 ? rows : [notFoundRow({ order_id: q.order_id, user_id: q.user_id, cost: String(q.cost) })] };
  }

  private charge(store: string, c: ChargeData): Answer {
    const t = this.terminal(store, c.device_name, 'api/postransaction');
    if (isAnswer(t)) return t;
    if (this.duplicateOrders === 'refuse' && this.ledger.find(store, c.order_id)) {
      this.stats.bump(this.stats.duplicateChargePosts, c.order_id);
      return reject(MSG.duplicateOrder(c.order_id));
    }
    const now = this.options.clock.now();
    const order = this.ledger.create({
      store_uid: store,
      order_id: c.order_id,
      device_name: c.device_name,
      cost: Number(c.cost),
      currency: c.currency ?? 'TWD',
      pfn: c.pfn,
      user_id: c.user_id ?? '',
      items: c.items ?? [],
      echo: [c.echo_0 ?? '', c.echo_1 ?? '', c.echo_2 ?? '', c.echo_3 ?? '', c.echo_4 ?? ''],
      createdAt: now,
    });
    this.stats.bump(this.stats.chargePosts, c.order_id);
    const key = scriptKey(store, c.order_id);
    const script = this.scripts.get(key) ?? (this.options.amountOutcomes ? outcomeForAmount(Number(c.cost)) : 'paid');
    this.scripts.delete(key);
    const steps = outcomeSteps(script);
    this.occupy(t, 'charge', order.uid, this.options.serviceMs(), () => this.applySteps(order, steps, 0));
    return ok();
  }

  private applySteps(order: Order, steps: readonly OutcomeStep[], i: number): void {
    const step = steps[i];
    if (!step) return;
    const apply = () => {
      this.ledger.setPrc(order, step.prc, this.options.clock.now());
      this.options.onChange?.({ type: 'charge', order });
      this.applySteps(order, steps, i + 1);
    };
    if (i === 0 && !step.afterMs) apply();
    else this.after(step.afterMs ?? this.options.followUpMs, apply);
  }

  private refund(store: string, r: RefundData): Answer {
    const t = this.terminal(store, r.device_name, 'api/posrefund');
    if (isAnswer(t)) return t;
    const order = this.ledger.findByUidKey(store, r.uid, r.key);
    if (!order) return reject(MSG.noTransaction);
    const balance = this.ledger.balance(order);
    const cost = Number(r.cost);
    if (!this.ledger.isRefundable(order) && order.prc !== '230') return reject(MSG.notRefundable);
    if (cost > balance) return reject(MSG.refundExceeds(balance));
    if (r.items?.length) {
      if (r.items.reduce((s, i) => s + Number(i.total), 0) !== cost) return reject(MSG.refundItemsMismatch);
      const names = new Set(order.items.map((i) => i.name));
      if (names.size > 0 && r.items.some((i) => !names.has(i.name))) return reject(MSG.refundItemNames);
    }
    const refund = this.ledger.addRefund(order, { cost, items: r.items, invoice_state: r.invoice_state, createdAt: this.options.clock.now() });
    this.occupy(t, 'refund', refund.uid, this.options.serviceMs(), () => {
      this.ledger.finishRefund(order, refund, this.options.clock.now());
      this.options.onChange?.({ type: 'refund', order, refund });
    });
    return ok();
  }

  private reprint(store: string, cmd: Command, p: ReprintData): Answer {
    const t = this.terminal(store, p.device_name, cmd);
    if (isAnswer(t)) return t;
    const order = this.ledger.findByUidKey(store, p.uid, p.key);
    if (!order) return reject(MSG.noTransaction);
    if (!this.ledger.isRefundable(order) && order.prc !== '230') return reject(MSG.notPrintable);
    this.occupy(t, 'reprint', `${cmd === 'api/posreprintinvoice' ? 'invoice' : 'signature'} ${order.uid}`, this.options.printMs(), () => {});
    return ok();
  }

  /** Busy for `ms`, then `done` and free again. `ms === 0`: done and free before the answer is sent. */
  private occupy(t: Terminal, op: Operation, ref: string, ms: number, done: () => void): void {
    const now = this.options.clock.now();
    this.fleet.occupy(t, op, ref, now, now + ms);
    this.after(ms, () => {
      this.fleet.release(t, ref);
      done();
    });
  }

  private after(ms: number, fn: () => void): void {
    if (ms <= 0) return fn();
    const handle = this.options.clock.setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, ms);
    this.timers.add(handle);
  }

  /** Forgets orders, scripts, stats and pending work; terminals are rebuilt by the caller. */
  reset(): void {
    for (const h of this.timers) this.options.clock.clearTimeout(h);
    this.timers.clear();
    this.ledger.clear();
    this.scripts.clear();
    this.fleet.clear();
    this.stores.clear();
    this.stats = new Stats();
    this.duplicateOrders = this.options.duplicateOrders ?? 'refuse';
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Seeds a finished, paid order (e.g. the spec's sample uid/key pairs). */
  seedPaid(order: { store_uid: string; order_id: string; uid: string; key: string; cost: number; items: Item[]; device_name: string }): void {
    const o = this.ledger.create({ ...order, currency: 'TWD', pfn: 'CREDITCARD', user_id: '', echo: ['', '', '', '', ''], createdAt: this.options.clock.now() });
    this.ledger.setPrc(o, '250', this.options.clock.now());
  }
}
