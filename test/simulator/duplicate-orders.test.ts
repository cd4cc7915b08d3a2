/**
 * Repeated order_ids: refused by default (B500 訂單編號已存在), or — `duplicateOrders: 'accept'`,
 * `SIM_DUPLICATE_ORDERS=accept`, `POST /_sim/config` — charged again as a new order, the way a gateway
 * that does not de-duplicate would. Checked over real HTTP.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { createLogger, loadEnv } from '../../src/config/index.js';
import { startBundledSimulator } from '../../src/launch/simulator.js';
import { MSG, type Simulator } from '../../src/simulator/index.js';
import { STORE, charge, control, send, startSim } from './helpers.js';

interface Stats {
  chargePosts: Record<string, number>;
  duplicateChargePosts: Record<string, number>;
  duplicateOrders: string;
  orders: { total: number };
}
interface JournalRow {
  cmd: string;
  answer: { code: string } | null;
  acted?: boolean;
}

const query = (sim: Simulator, order_id: string, cost: number) => send(sim, 'api/querydirect', { store_uid: STORE.store_uid, order_id, cost: String(cost) });

describe('repeated order_id', () => {
  it('refuse (default): B500 訂單編號「X」已存在, nothing charged, one querydirect row', async () => {
    const sim = await startSim();
    expect(await control(sim, 'GET', '/_sim/config')).toEqual({ duplicateOrders: 'refuse' });
    expect(await send(sim, 'api/postransaction', charge('D-0', 100))).toMatchObject({ code: 'B200' });
    expect(await send(sim, 'api/postransaction', charge('D-0', 100, { device_name: 'A02' }))).toEqual({ code: 'B500', msg: MSG.duplicateOrder('D-0') });
    const q = await query(sim, 'D-0', 100);
    expect(q.rows).toHaveLength(1);
    const stats = await control<Stats>(sim, 'GET', '/_sim/stats');
    expect(stats).toMatchObject({ chargePosts: { 'D-0': 1 }, duplicateChargePosts: { 'D-0': 1 }, duplicateOrders: 'refuse', orders: { total: 3 } });
    expect(sim.engine.ledger.findAll(STORE.store_uid, 'D-0')).toHaveLength(1);
  });

  it('accept: every repeat is a new order (own uid and key); querydirect lists those of matching cost, newest first', async () => {
    const sim = await startSim({ duplicateOrders: 'accept', seedSpecSamples: false });
    expect(await send(sim, 'api/postransaction', charge('D-1', 100))).toEqual({ code: 'B200', msg: MSG.ok });
    expect(await send(sim, 'api/postransaction', charge('D-1', 100, { device_name: 'A02' }))).toEqual({ code: 'B200', msg: MSG.ok });
    expect(await send(sim, 'api/postransaction', charge('D-1', 151, { device_name: 'A03' }))).toEqual({ code: 'B200', msg: MSG.ok });

    const orders = sim.engine.ledger.findAll(STORE.store_uid, 'D-1');
    expect(orders.map((o) => [o.device_name, o.cost, o.prc])).toEqual([['A01', 100, '250'], ['A02', 100, '250'], ['A03', 151, '300']]);
    expect(new Set(orders.map((o) => o.uid)).size).toBe(3);
    expect(new Set(orders.map((o) => o.key)).size).toBe(3);

    const rows = (await query(sim, 'D-1', 100)).rows ?? [];
    expect(rows.map((r) => r.uid)).toEqual([orders[1]?.uid, orders[0]?.uid]);
    expect(rows.every((r) => r.order_id === 'D-1' && r.cost === '100' && r.prc === '250')).toBe(true);
    expect(rows[0]?.key).not.toBe(rows[1]?.key);
    expect((await query(sim, 'D-1', 151)).rows).toEqual([expect.objectContaining({ uid: orders[2]?.uid, prc: '300' })]);
    expect((await query(sim, 'D-1', 999)).rows).toEqual([expect.objectContaining({ uid: '', prc: '', retmsg: MSG.notFound, order_id: 'D-1', cost: '999' })]);

    const stats = await control<Stats>(sim, 'GET', '/_sim/stats');
    expect(stats.chargePosts).toEqual({ 'D-1': 3 });
    expect(stats.duplicateChargePosts).toEqual({});
    expect(stats.orders.total).toBe(3);
    expect(stats.duplicateOrders).toBe('accept');
    const listed = await control<{ order_id: string; uid: string }[]>(sim, 'GET', '/_sim/orders');
    expect(listed.filter((o) => o.order_id === 'D-1').map((o) => o.uid)).toEqual(orders.map((o) => o.uid));
    const journal = await control<JournalRow[]>(sim, 'GET', '/_sim/journal');
    expect(journal.filter((e) => e.cmd === 'api/postransaction').map((e) => e.acted)).toEqual([true, true, true]);
  });

  it('accept: each order of the order_id is refunded by its own uid + key', async () => {
    const sim = await startSim({ duplicateOrders: 'accept' });
    await send(sim, 'api/postransaction', charge('D-2', 100));
    await send(sim, 'api/postransaction', charge('D-2', 100, { device_name: 'A02' }));
    const [newer, older] = (await query(sim, 'D-2', 100)).rows ?? [];
    const refund = (row: Record<string, unknown> | undefined, cost: number) =>
      send(sim, 'api/posrefund', { store_uid: STORE.store_uid, device_name: 'A03', uid: row?.uid, key: row?.key, cost });
    expect(await refund(older, 100)).toMatchObject({ code: 'B200' });
    expect(await refund(newer, 40)).toMatchObject({ code: 'B200' });
    const after = (await query(sim, 'D-2', 100)).rows ?? [];
    expect(after.map((r) => [r.uid, r.prc, (r.refund_order as { cost: string }[]).map((x) => x.cost)])).toEqual([
      [newer?.uid, '250', ['40']],
      [older?.uid, '230', ['100']],
    ]);
  });

  it('POST /_sim/config switches at run time; a bad value is refused; reset restores the configured setting', async () => {
    const sim = await startSim();
    await send(sim, 'api/postransaction', charge('D-3', 100));
    expect(await control(sim, 'POST', '/_sim/config', { duplicateOrders: 'accept' })).toEqual({ duplicateOrders: 'accept' });
    expect(await send(sim, 'api/postransaction', charge('D-3', 100, { device_name: 'A02' }))).toMatchObject({ code: 'B200' });
    expect((await query(sim, 'D-3', 100)).rows).toHaveLength(2);
    expect((await control<Stats>(sim, 'GET', '/_sim/stats')).chargePosts).toEqual({ 'D-3': 2 });

    await expect(control(sim, 'POST', '/_sim/config', { duplicateOrders: 'maybe' })).rejects.toThrow(/HTTP 400/);
    await expect(control(sim, 'POST', '/_sim/config', { other: 1 })).rejects.toThrow(/HTTP 400/);
    expect(await control(sim, 'POST', '/_sim/config', {})).toEqual({ duplicateOrders: 'accept' });

    expect(await control(sim, 'POST', '/_sim/config', { duplicateOrders: 'refuse' })).toEqual({ duplicateOrders: 'refuse' });
    expect(await send(sim, 'api/postransaction', charge('D-3', 100, { device_name: 'A03' }))).toEqual({ code: 'B500', msg: MSG.duplicateOrder('D-3') });

    await control(sim, 'POST', '/_sim/config', { duplicateOrders: 'accept' });
    await control(sim, 'POST', '/_sim/reset');
    expect(await control(sim, 'GET', '/_sim/config')).toEqual({ duplicateOrders: 'refuse' });
  });

  it('SIM_DUPLICATE_ORDERS reaches the bundled simulator of `npm start` (src/launch/simulator.ts)', async () => {
    expect(loadEnv({}).SIM_DUPLICATE_ORDERS).toBe('refuse');
    expect(() => loadEnv({ SIM_DUPLICATE_ORDERS: 'sometimes' })).toThrow(/SIM_DUPLICATE_ORDERS/);
    // The bundled simulator keeps its orders in DEMO_DATA_DIR: a fresh one, never the repository's .data/.
    const data = mkdtempSync(join(tmpdir(), 'demo-data-'));
    const env = loadEnv({ SIM_DUPLICATE_ORDERS: 'accept', SIM_PORT: '0', SIM_SERVICE_MS: '0', SIM_FOLLOW_UP_MS: '0', DEMO_DATA_DIR: data });
    const { sim } = await startBundledSimulator(env, [], createLogger('silent'));
    try {
      expect(await control(sim, 'GET', '/_sim/config')).toEqual({ duplicateOrders: 'accept' });
      await send(sim, 'api/postransaction', charge('D-4', 100));
      expect(await send(sim, 'api/postransaction', charge('D-4', 100, { device_name: 'A02' }))).toMatchObject({ code: 'B200' });
      expect((await query(sim, 'D-4', 100)).rows).toHaveLength(2);
    } finally {
      await sim.close();
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('SIM_DUPLICATE_ORDERS reaches `npm run simulator` (src/simulator/main.ts)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulator/main.ts'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', SIM_PORT: '0', SIM_DUPLICATE_ORDERS: 'accept', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
        createInterface({ input: child.stdout }).on('line', (line) => {
          const m = /"url":"(http:\/\/[^"]+)\/api\/init"/.exec(line);
          if (m?.[1]) resolve(m[1]);
        });
      });
      const res = await fetch(`${url}/_sim/config`);
      expect(await res.json()).toEqual({ duplicateOrders: 'accept' });
    } finally {
      child.kill('SIGTERM');
    }
  }, 20_000);
});
