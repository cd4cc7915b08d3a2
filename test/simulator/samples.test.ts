/**
 * The spec's own sample requests (all five commands; the PHP, C#, Java, JavaScript and Python variants
 * differ in number vs string values, form vs JSON bodies and PHP's escaped JSON) decode and get the
 * answers the spec shows.
 */
import { describe, expect, it } from 'vitest';
import { STORE, control, queryRow, send, startSim, type PostOptions } from './helpers.js';

const { store_uid } = STORE;

const CHARGE_SAMPLES: { lang: string; data: Record<string, unknown>; opts: PostOptions }[] = [
  {
    lang: 'PHP (cost as number, form, json_encode escapes)',
    opts: { format: 'form', php: true },
    data: {
      store_uid, items: [{ id: '1', name: '商品名稱', cost: '10', amount: '1', total: '10' }],
      cost: 10, user_id: 'phper', order_id: '1234567890', ip: '127.0.0.1', pfn: 'CREDITCARD', device_name: 'A01',
    },
  },
  {
    lang: 'C# (all strings, form)',
    opts: { format: 'form' },
    data: {
      store_uid, items: [{ id: '1', name: '商品名稱', cost: '10', amount: '1', total: '10' }],
      cost: '10', user_id: 'phper', order_id: '1234567890', ip: '127.0.0.1', pfn: 'CREDITCARD', device_name: 'A01',
    },
  },
  {
    lang: 'Java (strings, form)',
    opts: { format: 'form' },
    data: {
      store_uid, items: [{ id: '0886449', name: '商品名稱', cost: '10', amount: '1', total: '10' }],
      cost: '10', user_id: 'phper', order_id: '1234567890', ip: '127.0.0.1', pfn: 'CREDITCARD', device_name: 'A01',
    },
  },
  {
    lang: 'JavaScript (strings, JSON body)',
    opts: { format: 'json' },
    data: {
      store_uid, user_id: 'userid', cost: '10', order_id: '2020020210003', ip: '127.0.0.1',
      items: [{ id: '0886449', name: '拿鐵', cost: '10', amount: '1', total: '10' }], pfn: 'CREDITCARD', device_name: 'A01',
    },
  },
  {
    lang: 'Python (cost as int, form)',
    opts: { format: 'form' },
    data: {
      store_uid, items: [{ id: '1', name: '商品名稱', cost: '10', amount: '1', total: '10' }],
      cost: 10, user_id: 'phper', order_id: '1234567890', ip: '127.0.0.1', pfn: 'CREDITCARD', device_name: 'A01',
    },
  },
];

/** The spec's 訂單查詢 sample answer, verbatim. */
const SPEC_NOT_FOUND_ANSWER = {
  code: 'B200',
  msg: '執行成功',
  rows: [
    {
      uid: '', key: '', prc: '', finishtime: '', cardno: '', acode: '', order_id: '53654', user_id: 'phper', cost: '10',
      currency: '', actual_cost: '', actual_currency: '', price: null, actual_price: null, recharge_code: null, love_cost: '0',
      retmsg: '查無資料', pfn: '', trans_type: '1', payment_name: '', nois: '', group_id: '',
      echo_0: '', echo_1: '', echo_2: '', echo_3: '', echo_4: '',
    },
  ],
};

describe('spec samples: api/postransaction', () => {
  it.each(CHARGE_SAMPLES)('$lang: B200, then querydirect shows the paid order', async ({ data, opts }) => {
    const sim = await startSim();
    const answer = await send(sim, 'api/postransaction', data, opts);
    expect(answer).toEqual({ code: 'B200', msg: '執行成功。' });
    const row = await queryRow(sim, String(data.order_id), String(data.cost));
    expect(row).toMatchObject({ order_id: String(data.order_id), cost: '10', prc: '250', retmsg: '付款成功', pfn: 'CREDITCARD', currency: 'TWD' });
    expect(row.uid).toMatch(/^\d+$/);
    expect(row.key).toMatch(/^[0-9a-f]{32}$/);
    expect(row.finishtime).toMatch(/^\d{14}$/);
    const stats = await control<{ chargePosts: Record<string, number> }>(sim, 'GET', '/_sim/stats');
    expect(stats.chargePosts).toEqual({ [String(data.order_id)]: 1 });
  });
});

describe('spec samples: api/querydirect', () => {
  it('PHP sample (order 53654, unknown) gets the spec sample answer verbatim', async () => {
    const sim = await startSim();
    const answer = await send(sim, 'api/querydirect', { store_uid, order_id: '53654', user_id: 'phper', cost: '10' }, { php: true });
    expect(answer).toEqual(SPEC_NOT_FOUND_ANSWER);
  });

  it.each([
    { lang: 'C#/Java/Python (form)', opts: { format: 'form' } as PostOptions },
    { lang: 'JavaScript (JSON body)', opts: { format: 'json' } as PostOptions },
  ])('$lang sample for order 2020020210003 after the JS charge sample', async ({ opts }) => {
    const sim = await startSim();
    const before = await send(sim, 'api/querydirect', { store_uid, order_id: '2020020210003', user_id: 'phper', cost: '10' }, opts);
    expect(before.rows?.[0]).toMatchObject({ retmsg: '查無資料', prc: '', uid: '' });
    await send(sim, 'api/postransaction', CHARGE_SAMPLES[3]!.data, { format: 'json' });
    const after = await send(sim, 'api/querydirect', { store_uid, order_id: '2020020210003', user_id: 'phper', cost: 10 }, opts);
    expect(after).toMatchObject({ code: 'B200', msg: '執行成功', rows: [{ order_id: '2020020210003', prc: '250' }] });
  });
});

describe('spec samples: reprints and refund (uid/key pairs seeded as paid orders)', () => {
  const invoice = { store_uid, device_name: 'A01', uid: '70233', key: '755f6c2afda6c252d5ade6e50da32ab8', type: 1, print_type: 2 };
  const signature = { store_uid, device_name: 'A01', uid: '70233', key: '755f6c2afda6c252d5ade6e50da32ab8' };

  it.each([
    { lang: 'PHP', opts: { php: true } as PostOptions },
    { lang: 'C#/Java/Python', opts: { format: 'form' } as PostOptions },
    { lang: 'JavaScript', opts: { format: 'json' } as PostOptions },
  ])('$lang posreprintinvoice and posreprintsignature: B200 執行成功。', async ({ opts }) => {
    const sim = await startSim();
    expect(await send(sim, 'api/posreprintinvoice', invoice, opts)).toEqual({ code: 'B200', msg: '執行成功。' });
    expect(await send(sim, 'api/posreprintinvoice', { ...invoice, type: '2', print_type: '1' }, opts)).toEqual({ code: 'B200', msg: '執行成功。' });
    expect(await send(sim, 'api/posreprintsignature', signature, opts)).toEqual({ code: 'B200', msg: '執行成功。' });
    expect(await send(sim, 'api/posreprintsignature', { ...signature, receipt_type: '2' }, opts)).toEqual({ code: 'B200', msg: '執行成功。' });
  });

  it('a reprint with the wrong key is refused', async () => {
    const sim = await startSim();
    const a = await send(sim, 'api/posreprintsignature', { ...signature, key: '0'.repeat(32) });
    expect(a).toEqual({ code: 'B500', msg: '查無交易資料,請確認交易流水號與交易驗証碼' });
  });

  const refund = {
    store_uid, device_name: 'A01', uid: '88833', key: '1c943777706d68f757afdb9034213001', cost: 100, invoice_state: 6,
    items: [{ id: '1', name: '倚天劍模型', cost: 100, amount: 1, total: 100 }],
  };

  it.each([
    { lang: 'PHP (numbers, escaped JSON)', opts: { php: true } as PostOptions, data: refund },
    { lang: 'JavaScript (numbers, JSON body)', opts: { format: 'json' } as PostOptions, data: refund },
    {
      lang: 'strings variant (form)',
      opts: { format: 'form' } as PostOptions,
      data: { ...refund, cost: '100', invoice_state: '6', items: [{ id: '1', name: '倚天劍模型', cost: '100', amount: '1', total: '100' }] },
    },
  ])('$lang posrefund: B200, refund_order row with prc 230, second refund exceeds the balance', async ({ data, opts }) => {
    const sim = await startSim();
    expect(await send(sim, 'api/posrefund', data, opts)).toEqual({ code: 'B200', msg: '執行成功。' });
    const row = await queryRow(sim, 'SPEC-88833', 100);
    expect(row).toMatchObject({ uid: '88833', prc: '230', refund_order: [{ prc: '230', cost: '100', retmsg: '退款成功' }] });
    const again = await send(sim, 'api/posrefund', data, opts);
    expect(again).toEqual({ code: 'B500', msg: '退款金額超過可退款餘額(可退款金額 0 元)' });
  });
});
