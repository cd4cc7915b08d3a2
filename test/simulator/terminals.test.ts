/** Terminal states, busy violations, offline, and the refusals: unknown store/device, undecryptable, bad data. */
import { describe, expect, it, vi } from 'vitest';
import { encodeEnvelope, envelopeToForm } from '../../src/domain/codec/index.js';
import { STORE, charge, control, postRaw, queryRow, send, sleep, startSim } from './helpers.js';

interface Stats {
  busyViolations: number;
  busyViolationLog: { device_name: string; cmd: string; busyWith: string }[];
  chargePosts: Record<string, number>;
  duplicateChargePosts: Record<string, number>;
  requests: Record<string, number>;
  terminals: Record<string, Record<string, string>>;
}

describe('terminals', () => {
  it('SIM_DEVICES-style fleets: a count gives A01… zero-padded to at least two digits; names are taken as given', async () => {
    const ten = await startSim();
    expect(Object.keys(ten.engine.fleet.states()[STORE.store_uid] ?? {})).toEqual(['A01', 'A02', 'A03', 'A04', 'A05', 'A06', 'A07', 'A08', 'A09', 'A10']);
    const big = await startSim({ devices: 120 });
    expect(Object.keys(big.engine.fleet.states()[STORE.store_uid] ?? {}).slice(0, 2)).toEqual(['A001', 'A002']);
    const named = await startSim({ devices: 'POS-1, POS-2' });
    expect(Object.keys(named.engine.fleet.states()[STORE.store_uid] ?? {})).toEqual(['POS-1', 'POS-2']);
  });

  it('an operation sent to a busy terminal is B500 (處理中), counted, and not processed', async () => {
    const sim = await startSim({ serviceMs: 400 });
    expect(await send(sim, 'api/postransaction', charge('B-1', 100))).toMatchObject({ code: 'B200' });
    let stats = await control<Stats>(sim, 'GET', '/_sim/stats');
    expect(stats.terminals[STORE.store_uid]?.A01).toBe('busy');
    const second = await send(sim, 'api/postransaction', charge('B-2', 100));
    expect(second).toEqual({ code: 'B500', msg: '設備「A01」交易處理中,請稍後再試' });
    const reprint = await send(sim, 'api/posreprintsignature', { store_uid: STORE.store_uid, device_name: 'A01', uid: '70233', key: '755f6c2afda6c252d5ade6e50da32ab8' });
    expect(reprint.msg).toContain('處理中');
    // Other terminals and queries are unaffected.
    expect(await send(sim, 'api/postransaction', charge('B-3', 100, { device_name: 'A02' }))).toMatchObject({ code: 'B200' });
    expect((await queryRow(sim, 'B-2', 100)).retmsg).toBe('查無資料');
    stats = await control<Stats>(sim, 'GET', '/_sim/stats');
    expect(stats.busyViolations).toBe(2);
    expect(stats.busyViolationLog.map((v) => [v.device_name, v.cmd])).toEqual([['A01', 'api/postransaction'], ['A01', 'api/posreprintsignature']]);
    expect(stats.busyViolationLog[0]?.busyWith).toMatch(/^charge \d+$/);
    expect(stats.chargePosts).toEqual({ 'B-1': 1, 'B-3': 1 });
    await vi.waitFor(async () => expect((await control<Stats>(sim, 'GET', '/_sim/stats')).terminals[STORE.store_uid]?.A01).toBe('idle'), { timeout: 2_000, interval: 20 });
    expect(await send(sim, 'api/postransaction', charge('B-2', 100))).toMatchObject({ code: 'B200' });
  });

  it('a reprint keeps the terminal busy for the print time', async () => {
    const sim = await startSim({ printMs: 300 });
    const reprint = { store_uid: STORE.store_uid, device_name: 'A01', uid: '70233', key: '755f6c2afda6c252d5ade6e50da32ab8' };
    expect(await send(sim, 'api/posreprintinvoice', reprint)).toMatchObject({ code: 'B200' });
    expect(await send(sim, 'api/posreprintinvoice', reprint)).toMatchObject({ code: 'B500', msg: '設備「A01」交易處理中,請稍後再試' });
    await sleep(350);
    expect(await send(sim, 'api/posreprintinvoice', reprint)).toMatchObject({ code: 'B200' });
  });

  it('offline terminals answer the spec message; offline for a while comes back by itself', async () => {
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/devices', { offline: ['A01'] });
    expect(await send(sim, 'api/postransaction', charge('O-1', 100))).toEqual({ code: 'B500', msg: '設備「A01」目前未連線,請確認' });
    expect((await control<Stats>(sim, 'GET', '/_sim/stats')).terminals[STORE.store_uid]?.A01).toBe('offline');
    await control(sim, 'POST', '/_sim/devices', { online: ['A01'], offline: ['A02'], forMs: 150 });
    expect(await send(sim, 'api/postransaction', charge('O-1', 100))).toMatchObject({ code: 'B200' });
    expect(await send(sim, 'api/postransaction', charge('O-2', 100, { device_name: 'A02' }))).toMatchObject({ msg: '設備「A02」目前未連線,請確認' });
    await sleep(250);
    expect(await send(sim, 'api/postransaction', charge('O-2', 100, { device_name: 'A02' }))).toMatchObject({ code: 'B200' });
    const added = await control<{ terminals: Record<string, string> }>(sim, 'POST', '/_sim/devices', { add: ['Z99'] });
    expect(added.terminals.Z99).toBe('idle');
    expect(sim.engine.stats.busyViolations).toBe(0);
  });

  it('unknown terminal, repeated order_id, mismatched store_uid and bad fields are B500 in the spec language', async () => {
    const sim = await startSim();
    expect(await send(sim, 'api/postransaction', charge('U-1', 100, { device_name: 'Q01' }))).toEqual({ code: 'B500', msg: '查無設備「Q01」,請確認' });
    expect(await send(sim, 'api/postransaction', charge('U-1', 100))).toMatchObject({ code: 'B200' });
    expect(await send(sim, 'api/postransaction', charge('U-1', 100, { device_name: 'A02' }))).toEqual({ code: 'B500', msg: '訂單編號「U-1」已存在,請勿重複發動交易' });
    expect(await send(sim, 'api/postransaction', { ...charge('U-2', 100), store_uid: '289151880003' })).toEqual({ code: 'B500', msg: '資料異常:商務代號不一致' });
    expect(await send(sim, 'api/postransaction', { ...charge('U-3', 100), pfn: undefined })).toEqual({ code: 'B500', msg: '資料異常:欄位「pfn」為必填' });
    expect(await send(sim, 'api/postransaction', charge('U-4', '10.5'))).toEqual({ code: 'B500', msg: '資料異常:欄位「cost」格式錯誤' });
    const items = [{ id: '1', name: 'x', cost: '10', amount: '1', total: '10' }];
    expect(await send(sim, 'api/postransaction', charge('U-5', 20, { items }))).toEqual({ code: 'B500', msg: '資料異常:欄位「cost」金額不符' });
    expect(await send(sim, 'api/querydirect', { store_uid: STORE.store_uid, order_id: 'U-1' })).toEqual({ code: 'B500', msg: '資料異常:欄位「cost」為必填' });
    const stats = await control<Stats>(sim, 'GET', '/_sim/stats');
    expect(stats.chargePosts).toEqual({ 'U-1': 1 });
    expect(stats.duplicateChargePosts).toEqual({ 'U-1': 1 });
  });

  it('unknown store → B500; undecryptable payload → B500 執行失敗 with no detail; not a request → B500', async () => {
    const sim = await startSim();
    const foreign = envelopeToForm(encodeEnvelope('999999999999', STORE.key, 'api/querydirect', { store_uid: '999999999999', order_id: '1', cost: '1' }));
    expect(JSON.parse((await postRaw(sim, foreign, 'application/x-www-form-urlencoded')).text)).toEqual({ code: 'B500', msg: '查無特約商店資料,請確認商務代號' });

    const wrongKey = envelopeToForm(encodeEnvelope(STORE.store_uid, 'X'.repeat(32), 'api/querydirect', { store_uid: STORE.store_uid, order_id: '1', cost: '1' }));
    const garbage = new URLSearchParams({ store_uid: STORE.store_uid, service: 'bm90IGNpcGhlcnRleHQ=', encry_data: '!!!' }).toString();
    const good = encodeEnvelope(STORE.store_uid, STORE.key, 'api/querydirect', { store_uid: STORE.store_uid, order_id: '1', cost: '1' });
    const badPadding = envelopeToForm({ ...good, encry_data: good.encry_data.slice(0, -24) + 'A'.repeat(22) + '==' });
    for (const body of [wrongKey, garbage, badPadding]) {
      const res = await postRaw(sim, body, 'application/x-www-form-urlencoded');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toEqual({ code: 'B500', msg: '執行失敗' });
    }
    expect(JSON.parse((await postRaw(sim, 'hello', 'text/plain')).text)).toEqual({ code: 'B500', msg: '資料異常:欄位「store_uid」為必填' });
    expect(JSON.parse((await postRaw(sim, '{"store_uid": 1', 'application/json')).text)).toMatchObject({ code: 'B500' });
    expect((await control<Stats>(sim, 'GET', '/_sim/stats')).requests.undecodable).toBe(6);
  });
});

describe('journal, stats and reset', () => {
  it('journals decoded requests and answers oldest first, with charge keys redacted and uids kept, never the merchant key', async () => {
    const sim = await startSim();
    await send(sim, 'api/postransaction', charge('J-1', 100));
    const row = await queryRow(sim, 'J-1', 100);
    await send(sim, 'api/posrefund', { store_uid: STORE.store_uid, device_name: 'A01', uid: row.uid, key: row.key, cost: 10 });
    const journal = await control<{ seq: number; cmd: string; request: Record<string, unknown>; answer: { rows?: Record<string, unknown>[] } }[]>(sim, 'GET', '/_sim/journal');
    expect(journal.map((e) => e.cmd)).toEqual(['api/postransaction', 'api/querydirect', 'api/posrefund']);
    expect(journal.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(journal[1]?.answer.rows?.[0]).toMatchObject({ uid: row.uid, key: '[redacted]' });
    expect(journal[2]?.request).toMatchObject({ uid: row.uid, key: '[redacted]', cost: 10 });
    const text = JSON.stringify(journal);
    expect(text).not.toContain(String(row.key));
    expect(text).not.toContain(STORE.key);
    const since = await control<unknown[]>(sim, 'GET', '/_sim/journal?since=2');
    expect(since).toHaveLength(1);
  });

  it('the journal is a bounded ring buffer', async () => {
    const sim = await startSim({ journalSize: 3 });
    for (let i = 1; i <= 5; i++) await send(sim, 'api/querydirect', { store_uid: STORE.store_uid, order_id: `Q-${i}`, cost: 1 });
    const journal = await control<{ seq: number; request: { order_id: string } }[]>(sim, 'GET', '/_sim/journal');
    expect(journal.map((e) => [e.seq, e.request.order_id])).toEqual([[3, 'Q-3'], [4, 'Q-4'], [5, 'Q-5']]);
  });

  it('stats count requests by command; reset clears orders, stats, faults and journal but keeps the fleet', async () => {
    const sim = await startSim({ serviceMs: 5_000 });
    await send(sim, 'api/postransaction', charge('S-1', 100));
    await send(sim, 'api/querydirect', { store_uid: STORE.store_uid, order_id: 'S-1', cost: 100 });
    await control(sim, 'POST', '/_sim/faults', { kind: 'http5xx', count: 5, command: 'api/posrefund' });
    const stats = await control<Stats>(sim, 'GET', '/_sim/stats');
    expect(stats.requests).toEqual({ 'api/postransaction': 1, 'api/querydirect': 1 });
    await control(sim, 'POST', '/_sim/reset');
    const after = await control<Stats & { orders: { total: number } }>(sim, 'GET', '/_sim/stats');
    expect(after.requests).toEqual({});
    expect(after.chargePosts).toEqual({});
    expect(after.orders.total).toBe(2); // the two seeded spec samples
    expect(after.terminals[STORE.store_uid]?.A01).toBe('idle');
    expect(await control(sim, 'GET', '/_sim/journal')).toEqual([]);
    expect(await control(sim, 'GET', '/_sim/faults')).toEqual({ rules: [] });
    expect(sim.engine.pendingTimers).toBe(0);
  });

  it('unknown control endpoints are 404, bad control bodies 400', async () => {
    const sim = await startSim();
    await expect(control(sim, 'GET', '/_sim/nope')).rejects.toThrow(/HTTP 404/);
    await expect(control(sim, 'POST', '/_sim/faults', { kind: 'meteor' })).rejects.toThrow(/HTTP 400/);
    await expect(control(sim, 'POST', '/_sim/devices', { offline: ['NOPE'] })).rejects.toThrow(/HTTP 400/);
    await expect(control(sim, 'GET', '/_sim/ca.pem')).rejects.toThrow(/HTTP 404/);
  });
});
