/**
 * The journal as a checker's view of the ledger: every `api/postransaction` and `api/posrefund` entry
 * says whether the gateway acted on it (created the order / the refund). Over real HTTP.
 */
import { describe, expect, it } from 'vitest';
import { STORE, charge, control, envelopeBody, postRaw, queryRow, send, sleep, startSim } from './helpers.js';

interface Entry {
  cmd: string;
  status: number | string;
  answer: { code: string; msg: string } | null;
  request: { order_id?: string; cost?: string | number } | null;
  fault?: { kind: string; when: string };
  acted?: boolean;
}

const journal = (sim: Awaited<ReturnType<typeof startSim>>) => control<Entry[]>(sim, 'GET', '/_sim/journal');

describe('journal acted', () => {
  it('charges and refunds: true when the order / refund was created, false for every B500; absent for other commands', async () => {
    const sim = await startSim({ serviceMs: 300 });
    await send(sim, 'api/postransaction', charge('J-1', 100)); // created
    await send(sim, 'api/postransaction', charge('J-1', 100, { device_name: 'A02' })); // repeated order_id
    await send(sim, 'api/postransaction', charge('J-2', 100)); // A01 busy
    await send(sim, 'api/postransaction', charge('J-3', 100, { device_name: 'Q99' })); // unknown terminal
    await send(sim, 'api/postransaction', { ...charge('J-4', 100), cost: '0' }); // schema
    await sleep(400);
    const row = await queryRow(sim, 'J-1', 100);
    const ref = { store_uid: STORE.store_uid, device_name: 'A03', uid: row.uid, key: row.key };
    await send(sim, 'api/posrefund', { ...ref, cost: 30 }); // created
    await send(sim, 'api/posrefund', { ...ref, device_name: 'A04', cost: 80 }); // above the balance
    await send(sim, 'api/posrefund', { ...ref, device_name: 'A05', key: 'f'.repeat(32), cost: 1 }); // wrong key
    await send(sim, 'api/posreprintsignature', { store_uid: STORE.store_uid, device_name: 'A06', uid: row.uid, key: row.key });
    await postRaw(sim, 'store_uid=nobody&service=x&encry_data=y', 'application/x-www-form-urlencoded');

    const entries = await journal(sim);
    const acted = (cmd: string) => entries.filter((e) => e.cmd === cmd).map((e) => [e.answer?.code, e.acted]);
    expect(acted('api/postransaction')).toEqual([['B200', true], ['B500', false], ['B500', false], ['B500', false], ['B500', false]]);
    expect(acted('api/posrefund')).toEqual([['B200', true], ['B500', false], ['B500', false]]);
    for (const e of entries.filter((x) => !['api/postransaction', 'api/posrefund'].includes(x.cmd))) expect(e).not.toHaveProperty('acted');
    // The acted entries are exactly the ledger's orders and refunds.
    expect(sim.engine.ledger.findAll(STORE.store_uid, 'J-1')).toHaveLength(1);
    expect(sim.engine.ledger.find(STORE.store_uid, 'J-1')?.refunds.map((r) => r.cost)).toEqual([30]);
  });

  it('faults: false when the request was dropped unapplied (before), true when applied and the answer lost (after)', async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', [
      { kind: 'http5xx', count: 1 },
      { kind: 'reset', count: 1 },
      { kind: 'offline', count: 1 },
      { kind: 'malformed', count: 1, when: 'before' },
      { kind: 'http5xx', count: 1, when: 'after' },
    ]);
    for (const [i, device] of ['A01', 'A02', 'A03', 'A04', 'A05'].entries()) {
      const b = envelopeBody('api/postransaction', charge(`JF-${i}`, 100, { device_name: device }));
      await postRaw(sim, b.body, b.contentType).catch(() => undefined);
    }
    const entries = (await journal(sim)).filter((e) => e.cmd === 'api/postransaction');
    expect(entries.map((e) => [e.request?.order_id, e.fault?.kind, e.fault?.when, e.acted])).toEqual([
      ['JF-0', 'http5xx', 'before', false],
      ['JF-1', 'reset', 'after', true],
      ['JF-2', 'offline', 'before', false],
      ['JF-3', 'malformed', 'before', false],
      ['JF-4', 'http5xx', 'after', true],
    ]);
    expect(entries.filter((e) => e.acted).map((e) => e.request?.order_id).sort()).toEqual(
      sim.engine.ledger.orders().filter((o) => o.order_id.startsWith('JF-')).map((o) => o.order_id).sort(),
    );
  });
});
