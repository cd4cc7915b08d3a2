import { describe, expect, it } from 'vitest';
import {
  basicAnswerSchema,
  classifyPrc,
  commandAnswerSchemas,
  decodeInvoiceDetail,
  decodeRedeem,
  decodeResultContent,
  deferredTransactionCallbackSchema,
  isNotFoundRow,
  orderConfirmCallbackSchema,
  parseOrThrow,
  queryAnswerSchema,
  queryRowSchema,
  refundCompleteCallbackSchema,
  transactionCompleteCallbackSchema,
} from '../../src/domain/index.js';
import { notFoundQueryAnswer, offlineAnswer, okAnswer } from './spec-samples.js';

/** A paid order with one refund, shaped like a real gateway row: mixed types, nulls, extras. */
const paidRow = {
  uid: 88833,
  key: '1c943777706d68f757afdb9034213001',
  prc: 250,
  finishtime: '20240102030405',
  cardno: '0000',
  acode: '123456',
  card_type: '1',
  transaction_mode: '1',
  supplier_code: 'B8',
  order_id: 'ORD-1',
  cost: 100,
  currency: 'TWD',
  pfn: 'CREDITCARD',
  trans_type: 1,
  redeem: '{"type":"2","used":"100","amount":"50"}',
  result_type: null,
  result_content_type: 'IBON',
  result_content: '{"PinCode":"ABC123","LimitDate":"20240110000000","BarCode1":"1","BarCode2":"2","BarCode3":"3","BarcodeEndDate":"20240110"}',
  invoice_state: '2',
  invoice_number: '12345678',
  invoice_order_detail: '[{"Description":"倚天劍模型","Quantity":"1","UnitPrice":"100","Amount":"100"}]',
  invoice_cloud_type: '2',
  invoice_allowance: null,
  refund_order: [
    {
      uid: '99001',
      prc: '230',
      cost: '40',
      retmsg: '退款成功',
      invoice_state: 6,
      invoice_allowance: [{ uid: '99001', amount: '40', order_detail: '[]' }],
      vendor_extra: 'kept',
    },
  ],
  cancel_order: '',
  some_future_field: { nested: true },
};

describe('basicAnswerSchema', () => {
  it.each([offlineAnswer, okAnswer, { code: 'B200', msg: '執行成功' }])('parses the spec answer %j', (answer) => {
    expect(parseOrThrow(basicAnswerSchema, answer)).toEqual(answer);
  });
  it('keeps unknown fields and tolerates a null msg', () => {
    expect(parseOrThrow(basicAnswerSchema, { code: 'B500', msg: null, extra: 1 })).toEqual({ code: 'B500', msg: '', extra: 1 });
  });
  it.each([{ code: 'B201', msg: '' }, { msg: 'x' }, { code: 200, msg: '' }])('refuses a code other than B200/B500: %j', (answer) => {
    expect(basicAnswerSchema.safeParse(answer).success).toBe(false);
  });
});

describe('queryAnswerSchema (『交易查詢』)', () => {
  it('parses the spec 查無資料 answer', () => {
    const answer = parseOrThrow(queryAnswerSchema, notFoundQueryAnswer);
    expect(answer.rows).toHaveLength(1);
    const row = answer.rows[0]!;
    expect(row).toMatchObject({ uid: '', key: '', prc: '', order_id: '53654', cost: '10', retmsg: '查無資料', trans_type: 1, love_cost: '0' });
    expect(row.price).toBeUndefined();
    expect(row.refund_order).toEqual([]);
    expect(isNotFoundRow(row)).toBe(true);
    expect(classifyPrc(row.prc)).toBe('unknown');
  });

  it('parses a paid row with numbers-as-strings, nulls, nested refunds and unknown fields', () => {
    const row = parseOrThrow(queryRowSchema, paidRow);
    expect(row).toMatchObject({ uid: '88833', prc: '250', cost: '100', order_id: 'ORD-1', transaction_mode: 1, invoice_state: 2, invoice_cloud_type: 2 });
    expect(row.result_type).toBeUndefined();
    expect(row.cancel_order).toEqual([]);
    expect(row.invoice_allowance).toEqual([]);
    expect(row.refund_order[0]).toMatchObject({ uid: '99001', prc: '230', cost: '40', invoice_state: 6, vendor_extra: 'kept' });
    expect(row.refund_order[0]?.invoice_allowance[0]).toMatchObject({ uid: '99001', amount: 40 });
    expect((row as Record<string, unknown>).some_future_field).toEqual({ nested: true });
    expect(isNotFoundRow(row)).toBe(false);
  });

  it('decodes the JSON text fields (『紅利資訊』, 『ibon』, 『商品細項』)', () => {
    const row = parseOrThrow(queryRowSchema, paidRow);
    expect(decodeRedeem(row.redeem)).toMatchObject({ type: 2, used: '100', amount: '50' });
    expect(decodeResultContent(row)).toEqual({
      kind: 'IBON',
      content: { PinCode: 'ABC123', LimitDate: '20240110000000', BarCode1: '1', BarCode2: '2', BarCode3: '3', BarcodeEndDate: '20240110' },
    });
    expect(decodeInvoiceDetail(row.invoice_order_detail)).toEqual([{ Description: '倚天劍模型', Quantity: '1', UnitPrice: '100', Amount: '100' }]);
    expect(decodeResultContent({ result_content_type: 'E_COLLECTION', result_content: { PinCode: '9999', BankCode: '822' } })).toMatchObject({
      kind: 'E_COLLECTION',
      content: { PinCode: '9999', BankCode: '822' },
    });
  });

  it('gives undefined, not an exception, for unreadable JSON fields', () => {
    expect(decodeRedeem('{not json')).toBeUndefined();
    expect(decodeRedeem('')).toBeUndefined();
    expect(decodeInvoiceDetail('{"a":1}')).toBeUndefined();
    expect(decodeResultContent({ result_content_type: 'CREDITCARD', result_content: '{}' })).toBeUndefined();
  });

  it('treats missing or null rows as no rows (a B500 answer has none)', () => {
    expect(parseOrThrow(queryAnswerSchema, { code: 'B500', msg: '資料錯誤' }).rows).toEqual([]);
    expect(parseOrThrow(queryAnswerSchema, { code: 'B200', msg: '', rows: null }).rows).toEqual([]);
  });

  it('refuses rows that are not objects', () => {
    expect(queryAnswerSchema.safeParse({ code: 'B200', msg: '', rows: ['x'] }).success).toBe(false);
  });

  it('is the answer schema of api/querydirect, the basic one for the others', () => {
    expect(commandAnswerSchemas['api/querydirect']).toBe(queryAnswerSchema);
    expect(commandAnswerSchemas['api/postransaction']).toBe(basicAnswerSchema);
  });
});

describe('callback schemas (回報)', () => {
  it.each([
    ['『交易完成回傳資訊』', transactionCompleteCallbackSchema],
    ['『非即時交易回傳資訊』', deferredTransactionCallbackSchema],
    ['『訂單確認回傳資訊』', orderConfirmCallbackSchema],
  ])('%s parses a report with the fields we rely on typed', (_n, schema) => {
    const report = parseOrThrow(schema, { uid: '1', key: 'k', prc: 'A0001', order_id: 'O', cost: '10', trans_type: '1', echo_0: 'e', extra: 'kept' });
    expect(report).toMatchObject({ uid: '1', key: 'k', prc: 'A0001', order_id: 'O', cost: '10', trans_type: 1, echo_0: 'e', extra: 'kept' });
  });
  it('『退款完成回傳資訊』 parses a refund report', () => {
    const report = parseOrThrow(refundCompleteCallbackSchema, { uid: '1', refund_uid: 2, prc: 230, cost: 40, refund_type: '1', order_id: 'O' });
    expect(report).toMatchObject({ uid: '1', refund_uid: '2', prc: '230', cost: '40', refund_type: '1', key: '' });
  });
});
