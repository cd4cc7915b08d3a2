/**
 * The simulator's state file (option `stateFile`, docs/SIMULATOR.md › State file): the ledger
 * survives a restart — orders with their uid, key, prc history and refunds, the next uid — and the
 * work in flight goes on to its outcome on the clock, as if the simulator had kept running. Saved
 * atomically (temporary file renamed over it), debounced, bounded to the newest orders.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createSimulator, type Clock, type SimState, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { STORE, charge, control, queryRow, send } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-state-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = () => join(dir, `${n++}`, 'simulator.json');

const open: Simulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
async function start(options: SimulatorOptions): Promise<Simulator> {
  const sim = await createSimulator(options);
  open.push(sim);
  return sim;
}
async function stop(sim: Simulator): Promise<void> {
  open.splice(open.indexOf(sim), 1);
  await sim.close();
}

/** Simulated time: runs due timers in order when advanced. */
class ManualClock implements Clock {
  t = 1_767_225_600_000;
  private seq = 0;
  private tasks: { at: number; seq: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const task = { at: this.t + ms, seq: this.seq++, fn };
    this.tasks.push(task);
    return task;
  }
  clearTimeout(handle: unknown): void {
    this.tasks = this.tasks.filter((t) => t !== handle);
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.tasks.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.tasks.splice(this.tasks.indexOf(due), 1);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
}

const ITEMS = [
  { id: 'A', name: '拿鐵', cost: '60', amount: '2', total: '120' },
  { id: 'B', name: '可頌', cost: '80', amount: '1', total: '80' },
];
const refund = (ids: { uid: string; key: string }, cost: number, extra: Record<string, unknown> = {}) => ({
  store_uid: STORE.store_uid, device_name: 'A02', uid: ids.uid, key: ids.key, cost, ...extra,
});
const ids = (sim: Simulator, orderId: string) => {
  const o = sim.engine.ledger.find(STORE.store_uid, orderId)!;
  return { uid: o.uid, key: o.key };
};
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as SimState;

describe('simulator state file', () => {
  it('without stateFile nothing is written (npm run simulator, the tests)', async () => {
    const sim = await start({});
    expect(sim.state).toBeUndefined();
    await send(sim, 'api/postransaction', charge('MEM-1', 100));
    await sim.saveState();
    expect(sim.engine.ledger.find(STORE.store_uid, 'MEM-1')?.prc).toBe('250');
  });

  it('a new simulator from the file has every order with its uid, key, prc history and refunds, and the next uid', async () => {
    const file = freshFile();
    const sim1 = await start({ stateFile: file });
    expect(sim1.state).toEqual({ file, orders: 0, resumed: { charges: 0, refunds: 0 } });
    await send(sim1, 'api/postransaction', charge('KEEP-1', 200, { items: ITEMS }));
    await send(sim1, 'api/postransaction', charge('KEEP-2', 1051)); // declined
    await send(sim1, 'api/postransaction', charge('KEEP-3', 1059)); // settled: 250 then 600
    const paid = ids(sim1, 'KEEP-1');
    expect(await send(sim1, 'api/posrefund', refund(paid, 80, { items: [ITEMS[1]] }))).toMatchObject({ code: 'B200' });
    const before = structuredClone(sim1.engine.ledger.orders());
    const rowBefore = await queryRow(sim1, 'KEEP-1', 200);
    await stop(sim1);

    expect(existsSync(file)).toBe(true);
    const sim2 = await start({ stateFile: file });
    // The spec's two seeded samples plus three orders, none seeded twice.
    expect(sim2.state).toEqual({ file, orders: 5, resumed: { charges: 0, refunds: 0 } });
    expect(sim2.engine.ledger.orders()).toEqual(before);
    expect(await queryRow(sim2, 'KEEP-1', 200)).toEqual(rowBefore);
    expect((await queryRow(sim2, 'KEEP-2', 1051)).prc).toBe('300');
    expect(sim2.engine.ledger.find(STORE.store_uid, 'KEEP-3')?.history.map((h) => h.prc)).toEqual(['200', '250', '600']);
    // uid + key still work, the earlier refund counts against the balance, the order_id is still taken.
    expect(await send(sim2, 'api/posrefund', refund(paid, 121))).toEqual({ code: 'B500', msg: '退款金額超過可退款餘額(可退款金額 120 元)' });
    expect(await send(sim2, 'api/posrefund', refund(paid, 120))).toMatchObject({ code: 'B200' });
    expect((await queryRow(sim2, 'KEEP-1', 200)).prc).toBe('230');
    expect(await send(sim2, 'api/postransaction', charge('KEEP-1', 200))).toMatchObject({ code: 'B500' });
    expect(await send(sim2, 'api/posreprintinvoice', { store_uid: STORE.store_uid, device_name: 'A01', ...ids(sim2, 'KEEP-3') })).toMatchObject({ code: 'B200' });
    // New uids continue after every uid given before the restart (orders and refunds).
    const given = before.flatMap((o) => [o.uid, ...o.refunds.map((r) => r.uid)]).map(Number);
    await send(sim2, 'api/postransaction', charge('KEEP-4', 100));
    expect(Number(ids(sim2, 'KEEP-4').uid)).toBe(Math.max(...given) + 2); // +1 went to the refund above
    // And all of it is saved again.
    await sim2.saveState();
    expect(readJson(file).orders.map((o) => o.order_id)).toEqual(['SPEC-70233', 'SPEC-88833', 'KEEP-1', 'KEEP-2', 'KEEP-3', 'KEEP-4']);
  });

  it('charges in flight go on to their outcome after a restart, from where they were, as if the simulator had kept running', async () => {
    const file = freshFile();
    const clock = new ManualClock();
    const t0 = clock.t;
    const opts = { stateFile: file, clock, serviceMs: 1_000, followUpMs: 500 };
    const sim1 = await start(opts);
    await send(sim1, 'api/postransaction', charge('FLY-1', 1253)); // by amount: pending_then_paid (A0001, 500 ms later 250)
    await control(sim1, 'POST', '/_sim/orders', { order_id: 'FLY-2', outcome: [{ prc: 'A0001' }, { prc: '300', afterMs: 2_000 }] });
    await send(sim1, 'api/postransaction', charge('FLY-2', 100, { device_name: 'A02' })); // a per-order script
    clock.advance(500);
    await send(sim1, 'api/postransaction', charge('FLY-3', 1200, { device_name: 'A03' })); // paid, its service time ends at t0 + 1 500
    clock.advance(500);
    expect(sim1.engine.ledger.find(STORE.store_uid, 'FLY-1')?.prc).toBe('A0001');
    expect(sim1.engine.ledger.find(STORE.store_uid, 'FLY-2')?.prc).toBe('A0001');
    expect(sim1.engine.fleet.states()[STORE.store_uid]?.A03).toBe('busy');
    await stop(sim1);
    const saved = readJson(file);
    const orderOf = (uid: string) => saved.orders.find((o) => o.uid === uid)?.order_id;
    expect(saved.charges.map((c) => ({ order: orderOf(c.uid), next: c.next, dueAt: c.dueAt - t0 }))).toEqual([
      { order: 'FLY-1', next: 1, dueAt: 1_500 },
      { order: 'FLY-2', next: 1, dueAt: 3_000 },
      { order: 'FLY-3', next: 0, dueAt: 1_500 },
    ]);
    // A copy for the second restart below.
    const later = join(dir, `${n++}-later.json`);
    copyFileSync(file, later);

    // Back 200 ms later: nothing was due yet; every step comes at the time it would have.
    clock.t = t0 + 1_200;
    const sim2 = await start(opts);
    expect(sim2.state).toMatchObject({ orders: 5, resumed: { charges: 3, refunds: 0 } });
    expect((await queryRow(sim2, 'FLY-1', 1253)).prc).toBe('A0001');
    expect((await queryRow(sim2, 'FLY-3', 1200)).prc).toBe('200');
    // Terminals come back idle: A03 takes a new charge at once although FLY-3's service time runs on.
    expect(sim2.engine.fleet.states()[STORE.store_uid]?.A03).toBe('idle');
    expect(await send(sim2, 'api/postransaction', charge('FLY-4', 100, { device_name: 'A03' }))).toMatchObject({ code: 'B200' });
    clock.advance(300); // t0 + 1 500
    expect(sim2.engine.ledger.find(STORE.store_uid, 'FLY-1')?.history).toEqual([
      { prc: '200', at: t0 },
      { prc: 'A0001', at: t0 + 1_000 },
      { prc: '250', at: t0 + 1_500 },
    ]);
    expect((await queryRow(sim2, 'FLY-3', 1200)).prc).toBe('250');
    expect((await queryRow(sim2, 'FLY-2', 100)).prc).toBe('A0001');
    clock.advance(1_500); // t0 + 3 000
    expect((await queryRow(sim2, 'FLY-2', 100)).prc).toBe('300');
    await stop(sim2);
    expect(readJson(file).charges).toEqual([]);

    // Back an hour later: the steps that fell due meanwhile are applied at start, with their own times.
    clock.t = t0 + 3_600_000;
    const sim3 = await start({ ...opts, stateFile: later });
    const history = (orderId: string) => sim3.engine.ledger.find(STORE.store_uid, orderId)?.history.map((h) => [h.prc, h.at - t0]);
    expect(history('FLY-1')).toEqual([['200', 0], ['A0001', 1_000], ['250', 1_500]]);
    expect(history('FLY-2')).toEqual([['200', 0], ['A0001', 1_000], ['300', 3_000]]);
    expect(history('FLY-3')).toEqual([['200', 500], ['250', 1_500]]);
    expect((await queryRow(sim3, 'FLY-1', 1253)).finishtime).not.toBe('');
    expect(sim3.engine.pendingTimers).toBe(0);
    // Each order_id has its one order: nothing charged twice.
    for (const id of ['FLY-1', 'FLY-2', 'FLY-3']) expect(sim3.engine.ledger.findAll(STORE.store_uid, id)).toHaveLength(1);
  });

  it('a charge stopped during its service time and a refund in flight complete after the restart', async () => {
    const file = freshFile();
    const clock = new ManualClock();
    const t0 = clock.t;
    const opts = { stateFile: file, clock, serviceMs: 1_000 };
    const sim1 = await start(opts);
    await send(sim1, 'api/postransaction', charge('SRV-1', 200, { items: ITEMS }));
    clock.advance(1_000);
    const paid = ids(sim1, 'SRV-1');
    await send(sim1, 'api/postransaction', charge('SRV-2', 1200, { device_name: 'A03' }));
    expect(await send(sim1, 'api/posrefund', refund(paid, 200))).toMatchObject({ code: 'B200' });
    clock.advance(400);
    const inService = ids(sim1, 'SRV-2').uid;
    await stop(sim1);
    expect(readJson(file).refunds).toEqual([{ order: paid.uid, uid: expect.any(String), dueAt: t0 + 2_000 }]);
    expect(readJson(file).charges).toEqual([{ uid: inService, steps: [{ prc: '250' }], next: 0, dueAt: t0 + 2_000 }]);

    clock.t = t0 + 10_000;
    const sim2 = await start(opts);
    expect(sim2.state?.resumed).toEqual({ charges: 1, refunds: 1 });
    const row = await queryRow(sim2, 'SRV-1', 200);
    expect(row.prc).toBe('230');
    expect(row.refund_order).toMatchObject([{ prc: '230', cost: '200' }]);
    expect((await queryRow(sim2, 'SRV-2', 1200)).prc).toBe('250');
    expect(sim2.engine.ledger.find(STORE.store_uid, 'SRV-2')?.finishedAt).toBe(t0 + 2_000);
    // One order per order_id: nothing was charged twice.
    expect(sim2.engine.ledger.findAll(STORE.store_uid, 'SRV-2')).toHaveLength(1);
  });

  it('replaces the file atomically: a temporary file renamed over it, never half a file, none left behind', async () => {
    const file = freshFile();
    const sim = await start({ stateFile: file });
    // A big ledger (about 1 MB), so a write takes a while.
    for (let i = 0; i < 3_000; i++) {
      sim.engine.seedPaid({ store_uid: STORE.store_uid, order_id: `BIG-${i}`, uid: `${900_000 + i}`, key: `${i}`.padStart(32, '0'), cost: 100, items: [], device_name: 'A01' });
    }
    await sim.saveState();
    let ino = statSync(file).ino;
    let torn = 0;
    let reads = 0;
    // A reader racing the writer only ever sees a whole state.
    const reader = setInterval(() => {
      reads++;
      try {
        JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        torn++;
      }
    }, 0);
    try {
      for (let i = 1; i <= 10; i++) {
        await send(sim, 'api/postransaction', charge(`ATOM-${i}`, 100));
        await sim.saveState();
        const next = statSync(file).ino;
        expect(next).not.toBe(ino); // a new file each time, not written in place
        ino = next;
      }
    } finally {
      clearInterval(reader);
    }
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
    expect(readdirSync(join(file, '..'))).toEqual(['simulator.json']);
    expect(readJson(file).orders).toHaveLength(2 + 3_000 + 10);
  });

  it('saves by itself within 500 ms of a change, once for a burst of changes', async () => {
    const file = freshFile();
    const sim = await start({ stateFile: file, seedSpecSamples: false });
    const began = Date.now();
    for (let i = 0; i < 10; i++) await send(sim, 'api/postransaction', charge(`DEB-${i}`, 100));
    // Not yet: the first change is less than 500 ms old (unless this machine is very slow).
    if (Date.now() - began < 400) expect(existsSync(file)).toBe(false);
    await vi.waitFor(() => expect(existsSync(file)).toBe(true), { timeout: 2_000, interval: 20 });
    const ino = statSync(file).ino;
    expect(readJson(file).orders).toHaveLength(10);
    await new Promise((r) => setTimeout(r, 700));
    expect(statSync(file).ino).toBe(ino); // nothing changed since: no further write
  });

  it('keeps at most stateMaxOrders orders, the newest; uids still never repeat', async () => {
    const file = freshFile();
    const sim1 = await start({ stateFile: file, stateMaxOrders: 5, seedSpecSamples: false });
    for (let i = 1; i <= 8; i++) await send(sim1, 'api/postransaction', charge(`BOUND-${i}`, 100));
    const lastUid = Number(ids(sim1, 'BOUND-8').uid);
    await stop(sim1);
    expect(readJson(file).orders.map((o) => o.order_id)).toEqual(['BOUND-4', 'BOUND-5', 'BOUND-6', 'BOUND-7', 'BOUND-8']);
    const sim2 = await start({ stateFile: file, stateMaxOrders: 5, seedSpecSamples: false });
    expect(sim2.engine.ledger.orders()).toHaveLength(5);
    await send(sim2, 'api/postransaction', charge('BOUND-9', 100));
    expect(Number(ids(sim2, 'BOUND-9').uid)).toBe(lastUid + 1);
    await sim2.saveState();
    expect(readJson(file).orders.map((o) => o.order_id)).toEqual(['BOUND-5', 'BOUND-6', 'BOUND-7', 'BOUND-8', 'BOUND-9']);
  });

  it('a start that fails (its port taken) leaves the file to the simulator that starts next', async () => {
    const file = freshFile();
    const clock = new ManualClock();
    const sim1 = await start({ stateFile: file, clock, serviceMs: 1_000 });
    await send(sim1, 'api/postransaction', charge('PORT-1', 100));
    await stop(sim1);
    const before = readFileSync(file, 'utf8');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    try {
      clock.t += 60_000;
      await expect(createSimulator({ stateFile: file, clock, serviceMs: 1_000, port: (blocker.address() as AddressInfo).port })).rejects.toThrow(/EADDRINUSE/);
      clock.advance(60_000);
      await new Promise((r) => setTimeout(r, 700));
      expect(readFileSync(file, 'utf8')).toBe(before);
    } finally {
      blocker.close();
    }
    const sim2 = await start({ stateFile: file, clock, serviceMs: 1_000 });
    expect(sim2.state?.resumed.charges).toBe(1);
    expect((await queryRow(sim2, 'PORT-1', 100)).prc).toBe('250');
  });

  it('a file that is not a state is moved aside and the simulator starts empty; POST /_sim/reset empties the file too', async () => {
    const file = freshFile();
    const first = await start({ stateFile: file });
    await stop(first); // creates the directory and a state with the two samples
    writeFileSync(file, '{"version": 1, "orders": [');
    const sim = await start({ stateFile: file });
    expect(sim.state?.problem).toMatch(/is not a simulator state \(not JSON .*\); moved to simulator\.json\.bad-\d+, started with no orders/);
    expect(readdirSync(join(file, '..')).filter((f) => f.startsWith('simulator.json.bad-'))).toHaveLength(1);
    expect(sim.engine.ledger.orders()).toHaveLength(2); // the seeded samples
    await send(sim, 'api/postransaction', charge('RESET-1', 100));
    await control(sim, 'POST', '/_sim/reset');
    await sim.saveState();
    expect(readJson(file).orders.map((o) => o.order_id)).toEqual(['SPEC-70233', 'SPEC-88833']);
  });
});
