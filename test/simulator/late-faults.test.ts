/**
 * `late` (no answer; the command is applied `ms` later, after the client stopped waiting) and
 * `latency` with `when: 'after'` (applied at once, only the answer is slow), over real HTTP.
 */
import { connect } from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '../../src/simulator/index.js';
import { STORE, charge, control, envelopeBody, postRaw, send, sleep, startSim } from './helpers.js';

interface Entry {
  cmd: string;
  status: number | string;
  fault?: { kind: string; when: string };
  answer: { code: string } | null;
  acted?: boolean;
  at: number;
}
interface Stats {
  faults: Record<string, number>;
  late: { pending: number; applied: number };
  chargePosts: Record<string, number>;
}

const chargeBody = (orderId: string, device = 'A01') => envelopeBody('api/postransaction', charge(orderId, 100, { device_name: device }));

/** POSTs a charge and gives up after `timeoutMs` without an answer (the socket is closed by the client). */
async function postGivingUp(sim: Simulator, orderId: string, timeoutMs: number): Promise<unknown> {
  const b = chargeBody(orderId);
  try {
    await request(sim.url, { method: 'POST', body: b.body, headers: { 'content-type': b.contentType }, signal: AbortSignal.timeout(timeoutMs) });
    return undefined;
  } catch (err) {
    return err;
  }
}

/** Writes a charge on a raw TCP socket and closes it after `closeAfterMs`: the client surely left. */
async function postAndHangUp(sim: Simulator, orderId: string, closeAfterMs: number): Promise<string> {
  const b = chargeBody(orderId);
  const socket = connect(sim.port, '127.0.0.1');
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write(`POST /api/init HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: ${b.contentType}\r\ncontent-length: ${Buffer.byteLength(b.body)}\r\n\r\n${b.body}`);
  await sleep(closeAfterMs);
  socket.destroy();
  await new Promise<void>((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
  return received;
}

describe('late fault', () => {
  it('no answer; the charge is applied ms later, after the client gave up; journaled when applied, counted in stats', async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', { kind: 'late', ms: 1_000, count: 1, command: 'api/postransaction' });
    const sentAt = Date.now();
    const err = await postGivingUp(sim, 'L-1', 150);
    expect(err).toBeInstanceOf(Error);
    expect(Date.now() - sentAt).toBeLessThan(900);
    // The client gave up; the gateway has not acted yet.
    expect(sim.engine.ledger.find(STORE.store_uid, 'L-1')).toBeUndefined();
    expect((await control<Entry[]>(sim, 'GET', '/_sim/journal')).filter((e) => e.cmd === 'api/postransaction')).toEqual([]);
    expect(await control<Stats>(sim, 'GET', '/_sim/stats')).toMatchObject({ faults: { late: 1 }, late: { pending: 1, applied: 0 } });

    await sleep(1_100 - (Date.now() - sentAt));
    expect(sim.engine.ledger.find(STORE.store_uid, 'L-1')?.prc).toBe('250');
    const row = (await send(sim, 'api/querydirect', { store_uid: STORE.store_uid, order_id: 'L-1', cost: '100' })).rows?.[0];
    expect(row).toMatchObject({ order_id: 'L-1', prc: '250' });
    const entry = (await control<Entry[]>(sim, 'GET', '/_sim/journal')).find((e) => e.cmd === 'api/postransaction');
    expect(entry).toMatchObject({ status: 'late', fault: { kind: 'late', when: 'after' }, answer: { code: 'B200' }, acted: true });
    expect(entry!.at - sentAt).toBeGreaterThanOrEqual(950);
    expect(await control<Stats>(sim, 'GET', '/_sim/stats')).toMatchObject({ faults: { late: 1 }, late: { pending: 0, applied: 1 }, chargePosts: { 'L-1': 1 } });
  });

  it('applies even when the client socket closed long before; the client never saw a byte', async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', { kind: 'late', ms: 400, count: 1 });
    expect(await postAndHangUp(sim, 'L-2', 50)).toBe('');
    expect(sim.engine.ledger.find(STORE.store_uid, 'L-2')).toBeUndefined();
    await sleep(500);
    expect(sim.engine.ledger.find(STORE.store_uid, 'L-2')?.prc).toBe('250');
  });

  it("a client that keeps waiting gets no answer: the socket is dropped when the command is applied (the rule's `when` is ignored: always after)", async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', { kind: 'late', ms: 300, count: 1, when: 'before' });
    const b = chargeBody('L-3');
    const started = Date.now();
    await expect(postRaw(sim, b.body, b.contentType)).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(sim.engine.ledger.find(STORE.store_uid, 'L-3')).toBeDefined();
    expect((await control<Entry[]>(sim, 'GET', '/_sim/journal')).at(-1)).toMatchObject({ fault: { kind: 'late', when: 'after' }, acted: true });
    // The next request is answered normally.
    expect(await send(sim, 'api/postransaction', charge('L-4', 100, { device_name: 'A02' }))).toMatchObject({ code: 'B200' });
  });

  it('a late command refused by the gateway is journaled with acted: false', async () => {
    const sim = await startSim({ serviceMs: 10_000 });
    await send(sim, 'api/postransaction', charge('L-5', 100));
    await control(sim, 'POST', '/_sim/faults', { kind: 'late', ms: 100, count: 1 });
    expect(await postAndHangUp(sim, 'L-6', 20)).toBe('');
    await sleep(200);
    expect((await control<Entry[]>(sim, 'GET', '/_sim/journal')).at(-1)).toMatchObject({ status: 'late', answer: { code: 'B500' }, acted: false });
    expect(sim.engine.stats.busyViolations).toBe(1);
  });

  it('reset forgets pending late commands (never applied) and drops their clients', async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', { kind: 'late', ms: 300, count: 1 });
    const b = chargeBody('L-7');
    const pending = postRaw(sim, b.body, b.contentType);
    await sleep(50);
    await control(sim, 'POST', '/_sim/reset');
    await expect(pending).rejects.toThrow();
    await sleep(400);
    expect(sim.engine.ledger.find(STORE.store_uid, 'L-7')).toBeUndefined();
    expect(await control<Stats>(sim, 'GET', '/_sim/stats')).toMatchObject({ late: { pending: 0, applied: 0 } });
  });

  it('close clears pending late commands', async () => {
    const sim = await createSimulator();
    await control(sim, 'POST', '/_sim/faults', { kind: 'late', ms: 300, count: 1 });
    const b = chargeBody('L-8');
    const pending = postRaw(sim, b.body, b.contentType);
    await sleep(50);
    await sim.close();
    await expect(pending).rejects.toThrow();
    await sleep(400);
    expect(sim.engine.ledger.find(STORE.store_uid, 'L-8')).toBeUndefined();
  });
});

describe('latency', () => {
  it("when: 'after' applies the charge at once and delays only the answer", async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', { kind: 'latency', ms: 400, count: 1, when: 'after', command: 'api/postransaction' });
    const started = Date.now();
    const answer = send(sim, 'api/postransaction', charge('T-1', 100));
    await sleep(100);
    // Visible to another client while the first still waits for its answer.
    const row = (await send(sim, 'api/querydirect', { store_uid: STORE.store_uid, order_id: 'T-1', cost: '100' })).rows?.[0];
    expect(row).toMatchObject({ order_id: 'T-1', prc: '250' });
    expect(await answer).toMatchObject({ code: 'B200' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    const entry = (await control<Entry[]>(sim, 'GET', '/_sim/journal')).find((e) => e.cmd === 'api/postransaction');
    expect(entry).toMatchObject({ status: 200, fault: { kind: 'latency', when: 'after' }, acted: true });
    expect(entry!.at - started).toBeLessThan(300);
  });

  it("default (when: 'before') waits, then applies and answers — nothing happens during the delay", async () => {
    const sim = await startSim();
    const { rules } = await control<{ rules: { when?: string }[] }>(sim, 'POST', '/_sim/faults', { kind: 'latency', ms: 400, count: 1, command: 'api/postransaction' });
    expect(rules[0]?.when).toBeUndefined();
    const answer = send(sim, 'api/postransaction', charge('T-2', 100));
    await sleep(100);
    expect(sim.engine.ledger.find(STORE.store_uid, 'T-2')).toBeUndefined();
    expect(await answer).toMatchObject({ code: 'B200' });
    expect(sim.engine.ledger.find(STORE.store_uid, 'T-2')?.prc).toBe('250');
    expect((await control<Entry[]>(sim, 'GET', '/_sim/journal')).at(-1)).toMatchObject({ fault: { kind: 'latency', when: 'before' }, acted: true });
  });

  it("when: 'after' with a client that gives up: the charge exists, the answer is lost", async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/faults', { kind: 'latency', ms: 500, count: 1, when: 'after' });
    expect(await postGivingUp(sim, 'T-3', 100)).toBeInstanceOf(Error);
    expect(sim.engine.ledger.find(STORE.store_uid, 'T-3')?.prc).toBe('250');
    await sleep(500);
    expect((await control<Stats>(sim, 'GET', '/_sim/stats')).chargePosts).toEqual({ 'T-3': 1 });
  });
});
