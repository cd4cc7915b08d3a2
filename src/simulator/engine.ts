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
import type { SimState } from './state.js';
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
  /** Told after every change of the ledger (orders, refunds, prc steps, reset), e.g. to save it. */
  onLedgerChange?: () => void;
}

/** A charge whose outcome is not complete yet: step `next` of `steps` is due at `dueAt` (clock time). */
interface ChargeRun {
  order: Order;
  steps: readonly OutcomeStep[];
  next: number;
  dueAt: number;
}

/** A refund the terminal works on: it completes at `dueAt`. */
interface RefundRun {
  order: Order;
  refund: Refund;
  dueAt: number;
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
  readonly ledger = new Ledger(() => this.options.onLedgerChange?.());
  stats = new Stats();
  /** Current handling of repeated order_ids; changeable at run time (`POST /_sim/config`), restored by reset. */
  duplicateOrders: DuplicateOrders;
  private readonly stores = new Map<string, string>();
  private readonly scripts = new Map<string, OutcomeScript>();
  private readonly timers = new Set<unknown>();
  /** Charges whose outcome has steps to come, by order uid; refunds in progress, by refund uid. */
  private readonly chargeRuns = new Map<string, ChargeRun>();
  private readonly refundRuns = new Map<string, RefundRun>();

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
    const serviceMs = this.options.serviceMs();
    const run: ChargeRun = { order, steps, next: 0, dueAt: now + serviceMs + this.stepDelay(steps, 0) };
    if (steps.length > 0) this.chargeRuns.set(order.uid, run);
    this.occupy(t, 'charge', order.uid, serviceMs, () => this.scheduleStep(run, this.stepDelay(steps, 0)));
    return ok();
  }

  /** Delay of step `i`: the first after the terminal finished (its `afterMs`, else at once), the others after the previous (`afterMs`, else the follow-up delay). */
  private stepDelay(steps: readonly OutcomeStep[], i: number): number {
    const step = steps[i];
    return i === 0 ? (step?.afterMs ?? 0) : (step?.afterMs ?? this.options.followUpMs);
  }

  /** Applies the run's next step `ms` from now (at once for 0), then schedules the one after it. */
  private scheduleStep(run: ChargeRun, ms: number): void {
    if (run.next >= run.steps.length) return;
    run.dueAt = this.options.clock.now() + ms;
    this.after(ms, () => {
      this.applyStep(run, this.options.clock.now());
      if (run.next < run.steps.length) this.scheduleStep(run, this.stepDelay(run.steps, run.next));
    });
  }

  private applyStep(run: ChargeRun, at: number): void {
    const step = run.steps[run.next++];
    if (run.next >= run.steps.length) this.chargeRuns.delete(run.order.uid);
    if (!step) return;
    this.ledger.setPrc(run.order, step.prc, at);
    this.options.onChange?.({ type: 'charge', order: run.order });
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
    const now = this.options.clock.now();
    const refund = this.ledger.addRefund(order, { cost, items: r.items, invoice_state: r.invoice_state, createdAt: now });
    const serviceMs = this.options.serviceMs();
    const run: RefundRun = { order, refund, dueAt: now + serviceMs };
    this.refundRuns.set(refund.uid, run);
    this.occupy(t, 'refund', refund.uid, serviceMs, () => this.finishRefund(run, this.options.clock.now()));
    return ok();
  }

  private finishRefund(run: RefundRun, at: number): void {
    this.refundRuns.delete(run.refund.uid);
    this.ledger.finishRefund(run.order, run.refund, at);
    this.options.onChange?.({ type: 'refund', order: run.order, refund: run.refund });
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

  /**
   * Stops all pending work where it is (no step or refund completes any more) without forgetting it:
   * {@link exportState} still lists it with its due times. For a final save before closing.
   */
  stop(): void {
    for (const h of this.timers) this.options.clock.clearTimeout(h);
    this.timers.clear();
  }

  /** Forgets orders, scripts, stats and pending work; terminals are rebuilt by the caller. */
  reset(): void {
    this.stop();
    this.chargeRuns.clear();
    this.refundRuns.clear();
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

  /**
   * The ledger and its work in flight as plain data (live objects: serialize at once). At most the
   * newest `maxOrders` orders (creation order), and the charges and refunds in flight among them.
   */
  exportState(maxOrders: number): SimState {
    const all = this.ledger.orders();
    const orders = maxOrders > 0 ? all.slice(-maxOrders) : [];
    const kept = new Set(orders.map((o) => o.uid));
    return {
      version: 1,
      savedAt: this.options.clock.now(),
      nextUid: this.ledger.peekNextUid(),
      orders,
      charges: [...this.chargeRuns.values()].filter((r) => kept.has(r.order.uid)).map((r) => ({ uid: r.order.uid, steps: r.steps, next: r.next, dueAt: r.dueAt })),
      refunds: [...this.refundRuns.values()].filter((r) => kept.has(r.order.uid)).map((r) => ({ order: r.order.uid, uid: r.refund.uid, dueAt: r.dueAt })),
    };
  }

  /**
   * Loads a saved ledger (replacing this one) and resumes its work in flight on the clock, as if the
   * simulator had kept running: every outcome step and refund due by now is applied with the time it
   * was due (in order, each step's delay after the previous), the rest is scheduled for its due time.
   * Terminals are not part of the state: after a restore they are all idle. Answers what was restored.
   */
  restoreState(state: SimState): { orders: number; charges: number; refunds: number } {
    this.ledger.restore(state.orders, state.nextUid);
    const now = this.options.clock.now();
    let charges = 0;
    let refunds = 0;
    for (const c of state.charges) {
      const order = this.ledger.get(c.uid);
      if (!order || c.next >= c.steps.length) continue;
      const run: ChargeRun = { order, steps: c.steps, next: c.next, dueAt: c.dueAt };
      this.chargeRuns.set(order.uid, run);
      charges++;
      while (run.next < run.steps.length && run.dueAt <= now) {
        const at = run.dueAt;
        this.applyStep(run, at);
        run.dueAt = at + this.stepDelay(run.steps, run.next);
      }
      this.scheduleStep(run, run.dueAt - now);
    }
    for (const r of state.refunds) {
      const order = this.ledger.get(r.order);
      const refund = order?.refunds.find((x) => x.uid === r.uid);
      if (!order || !refund || refund.prc !== '200') continue;
      const run: RefundRun = { order, refund, dueAt: r.dueAt };
      this.refundRuns.set(refund.uid, run);
      refunds++;
      if (run.dueAt <= now) this.finishRefund(run, run.dueAt);
      else this.after(run.dueAt - now, () => this.finishRefund(run, this.options.clock.now()));
    }
    return { orders: state.orders.length, charges, refunds };
  }

  /** Seeds a finished, paid order (e.g. the spec's sample uid/key pairs). */
  seedPaid(order: { store_uid: string; order_id: string; uid: string; key: string; cost: number; items: Item[]; device_name: string }): void {
    const o = this.ledger.create({ ...order, currency: 'TWD', pfn: 'CREDITCARD', user_id: '', echo: ['', '', '', '', ''], createdAt: this.options.clock.now() });
    this.ledger.setPrc(o, '250', this.options.clock.now());
  }
}
