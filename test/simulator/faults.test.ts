/** Fault injection over raw HTTP: what each fault does on the wire and whether the operation happened. */
import { describe, expect, it } from 'vitest';
import { STORE, charge, control, envelopeBody, postRaw, send, startSim } from './helpers.js';

const chargeBody = (orderId: string, device = 'A01') => envelopeBody('api/postransaction', charge(orderId, 100, { device_name: device }));

describe('faults', () => {
  it('http5xx (default before): 502 for the next N matching requests, nothing charged; other commands untouched', async () => {
    const sim = await startSim();
    const { rules } = await control<{ rules: { id: number; count: number }[] }>(sim, 'POST', '/_sim/faults', { kind: 'http5xx', count: 2, command: 'api/postransaction' });
    expect(rules[0]).toMatchObject({ kind: 'http5xx', count: 2, status: 502 });
    const q = await send(sim, 'api/querydirect', { store_uid: STORE.store_uid, order_id: 'F-1', cost: 100 });
    expect(q.code).toBe('B200');
    for (let i = 0; i < 2; i++) {
      const b = chargeBody('F-1');
      const res = await postRaw(sim, b.body, b.contentType);
      expect(res.status).toBe(502);
      expect(res.text).toContain('Bad Gateway');
    }
    expect(sim.engine.ledger.find(STORE.store_uid, 'F-1')).toBeUndefined();
    const b = chargeBody('F-1');
    expect((await postRaw(sim, b.body, b.contentType)).status).toBe(200);
    const stats = await control<{ faults: Record<string, number>; chargePosts: Record<string, number> }>(sim, 'GET', '/_sim/stats');
    expect(stats.faults).toEqual({ http5xx: 2 });
    expect(stats.chargePosts).toEqual({ 'F-1': 1 });
    expect(await control(sim, 'GET', '/_sim/faults')).toEqual({ rules: [] });
  });

  it('reset (default after): the connection is reset, but the charge exists', async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', { kind: 'reset', count: 1 });
    const b = chargeBody('F-2');
    await expect(postRaw(sim, b.body, b.contentType)).rejects.toThrow();
    expect(sim.engine.ledger.find(STORE.store_uid, 'F-2')?.prc).toBe('250');
    const journal = await control<{ status: string; fault: unknown; answer: unknown }[]>(sim, 'GET', '/_sim/journal');
    expect(journal.at(-1)).toMatchObject({ status: 'reset', fault: { kind: 'reset', when: 'after' }, answer: { code: 'B200' } });
  });

  it('reset with when=before drops the request unprocessed', async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', { kind: 'reset', count: 1, when: 'before' });
    const b = chargeBody('F-3');
    await expect(postRaw(sim, b.body, b.contentType)).rejects.toThrow();
    expect(sim.engine.ledger.find(STORE.store_uid, 'F-3')).toBeUndefined();
  });

  it('malformed: 200 with a truncated JSON body, operation processed', async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', { kind: 'malformed', count: 1 });
    const b = chargeBody('F-4');
    const res = await postRaw(sim, b.body, b.contentType);
    expect(res.status).toBe(200);
    expect(() => JSON.parse(res.text)).toThrow();
    expect(sim.engine.ledger.find(STORE.store_uid, 'F-4')).toBeDefined();
  });

  it('hang: no answer; with ms the socket is dropped after that long; operation processed', async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', { kind: 'hang', count: 1, ms: 200 });
    const b = chargeBody('F-5');
    const started = Date.now();
    await expect(postRaw(sim, b.body, b.contentType)).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    expect(sim.engine.ledger.find(STORE.store_uid, 'F-5')).toBeDefined();
  });

  it('latency delays the answer; offline answers the spec message without touching the terminal', async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', [
      { kind: 'latency', count: 1, ms: 200, command: 'api/querydirect' },
      { kind: 'offline', count: 1, device_name: 'A03' },
    ]);
    const started = Date.now();
    expect((await send(sim, 'api/querydirect', { store_uid: STORE.store_uid, order_id: 'x', cost: 1 })).code).toBe('B200');
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    expect(await send(sim, 'api/postransaction', charge('F-6', 100, { device_name: 'A03' }))).toEqual({ code: 'B500', msg: '設備「A03」目前未連線,請確認' });
    expect(await send(sim, 'api/postransaction', charge('F-6', 100, { device_name: 'A03' }))).toMatchObject({ code: 'B200' });
  });

  it('probability uses the injected random source; rules can be listed and deleted', async () => {
    const draws = [0.9, 0.1, 0.7, 0.2];
    const sim = await startSim({ random: () => draws.shift() ?? 1 });
    const { rules } = await control<{ rules: { id: number }[] }>(sim, 'POST', '/_sim/faults', { kind: 'http5xx', probability: 0.5, status: 503 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const b = envelopeBody('api/querydirect', { store_uid: STORE.store_uid, order_id: `P-${i}`, cost: 1 });
      statuses.push((await postRaw(sim, b.body, b.contentType)).status);
    }
    expect(statuses).toEqual([200, 503, 200, 503]);
    expect(await control(sim, 'DELETE', `/_sim/faults/${rules[0]?.id}`)).toEqual({ removed: true });
    expect(await control(sim, 'GET', '/_sim/faults')).toEqual({ rules: [] });
  });
});
