import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  commandSchemas,
  COMMANDS,
  parseOrThrow,
  queryRequestSchema,
  refundRequestSchema,
  reprintInvoiceRequestSchema,
  reprintSignatureRequestSchema,
  ValidationError,
} from '../../src/domain/index.js';
import { chargeJs, queryOthers, queryPhp, refund, reprintInvoice, reprintSignature } from './spec-samples.js';

function fieldsOf(schema: z.ZodType, value: unknown): string[] {
  try {
    parseOrThrow(schema, value);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues.map((i) => i.field);
  }
  throw new Error('expected a ValidationError');
}

describe('queryRequestSchema (『訂單查詢』)', () => {
  it.each([
    ['PHP', queryPhp],
    ['C#/Java/JS/Python', queryOthers],
    ['cost as a number', { ...queryOthers, cost: 10 }],
    ['without user_id', { ...queryOthers, user_id: undefined }],
  ])('accepts the %s sample', (_n, sample) => {
    expect(parseOrThrow(queryRequestSchema, sample)).toMatchObject({ store_uid: '289151880002', cost: '10' });
  });

  it.each([
    ['missing order_id', { ...queryOthers, order_id: undefined }, 'order_id'],
    ['missing cost (必填)', { ...queryOthers, cost: undefined }, 'cost'],
    ['zero cost', { ...queryOthers, cost: '0' }, 'cost'],
    ['missing store_uid', { ...queryOthers, store_uid: undefined }, 'store_uid'],
    ['a refund field', { ...queryOthers, uid: '1' }, 'uid'],
  ])('rejects %s', (_n, value, field) => {
    expect(fieldsOf(queryRequestSchema, value)).toContain(field);
  });
});

describe('refundRequestSchema (『交易退款』)', () => {
  it('accepts the spec sample (every language sends the same numbers) and normalises it', () => {
    expect(parseOrThrow(refundRequestSchema, refund)).toEqual({
      store_uid: '289151880002',
      device_name: 'A01',
      uid: '88833',
      key: '1c943777706d68f757afdb9034213001',
      cost: '100',
      invoice_state: '6',
      items: [{ id: '1', name: '倚天劍模型', cost: '100', amount: '1', total: '100' }],
    });
  });

  it.each([
    ['strings', { ...refund, cost: '100', invoice_state: '6', items: [{ id: '1', name: '倚天劍模型', cost: '100', amount: '1', total: '100' }] }],
    ['a partial refund without invoice', { store_uid: '289151880002', device_name: 'A01', uid: '88833', key: 'k', cost: 40 }],
    ['void (4) with receipt_type', { ...refund, invoice_state: '4', receipt_type: 2 }],
  ])('accepts %s', (_n, value) => {
    expect(refundRequestSchema.safeParse(value).success).toBe(true);
  });

  it.each([
    ['missing uid', { ...refund, uid: undefined }, 'uid'],
    ['missing key', { ...refund, key: '' }, 'key'],
    ['missing device_name (必填)', { ...refund, device_name: undefined }, 'device_name'],
    ['missing cost (必填)', { ...refund, cost: undefined, items: undefined, invoice_state: undefined }, 'cost'],
    ['items not adding up to cost (「退款項目之總金額必須與退款金額一致」)', { ...refund, cost: 50 }, 'cost'],
    ['item total ≠ cost × amount', { ...refund, items: [{ id: '1', name: '倚天劍模型', cost: 50, amount: 1, total: 100 }] }, 'items.0.total'],
    ['invoice_state other than 4 or 6', { ...refund, invoice_state: 5 }, 'invoice_state'],
    ['invoice_state without items (「若使用電子發票,此欄位必填」)', { ...refund, items: undefined }, 'items'],
    ['receipt_type 3', { ...refund, receipt_type: '3' }, 'receipt_type'],
    ['an unknown field', { ...refund, order_id: 'x' }, 'order_id'],
  ])('rejects %s', (_n, value, field) => {
    expect(fieldsOf(refundRequestSchema, value)).toContain(field);
  });
});

describe('reprintInvoiceRequestSchema (『重印發票或補印發票』)', () => {
  it('accepts the spec sample', () => {
    expect(parseOrThrow(reprintInvoiceRequestSchema, reprintInvoice)).toEqual(reprintInvoice);
  });
  it('accepts type and print_type as strings and normalises them to integers', () => {
    expect(parseOrThrow(reprintInvoiceRequestSchema, { ...reprintInvoice, type: '2', print_type: '0' })).toMatchObject({ type: 2, print_type: 0 });
  });
  it.each([
    ['type 3 (『發票列印種類』 is 1 or 2)', { ...reprintInvoice, type: 3 }, 'type'],
    ['print_type 4', { ...reprintInvoice, print_type: 4 }, 'print_type'],
    ['print_type not a number', { ...reprintInvoice, print_type: 'all' }, 'print_type'],
    ['missing device_name', { ...reprintInvoice, device_name: undefined }, 'device_name'],
    ['missing uid', { ...reprintInvoice, uid: undefined }, 'uid'],
  ])('rejects %s', (_n, value, field) => {
    expect(fieldsOf(reprintInvoiceRequestSchema, value)).toContain(field);
  });
});

describe('reprintSignatureRequestSchema (『補印簽單』)', () => {
  it('accepts the spec sample and receipt types 1 and 2', () => {
    expect(parseOrThrow(reprintSignatureRequestSchema, reprintSignature)).toEqual(reprintSignature);
    expect(parseOrThrow(reprintSignatureRequestSchema, { ...reprintSignature, receipt_type: 2 }).receipt_type).toBe('2');
  });
  it.each([
    ['missing key (必填)', { ...reprintSignature, key: undefined }, 'key'],
    ['missing uid (必填)', { ...reprintSignature, uid: undefined }, 'uid'],
    ['receipt_type 0', { ...reprintSignature, receipt_type: '0' }, 'receipt_type'],
  ])('rejects %s', (_n, value, field) => {
    expect(fieldsOf(reprintSignatureRequestSchema, value)).toContain(field);
  });
});

describe('commandSchemas', () => {
  it('has a schema for every command', () => {
    expect(Object.keys(commandSchemas).sort()).toEqual([...COMMANDS].sort());
  });
  it.each([
    ['api/postransaction', chargeJs],
    ['api/querydirect', queryOthers],
    ['api/posrefund', refund],
    ['api/posreprintinvoice', reprintInvoice],
    ['api/posreprintsignature', reprintSignature],
  ] as const)('%s accepts its own sample and refuses the others', (cmd, sample) => {
    expect(commandSchemas[cmd].safeParse(sample).success).toBe(true);
    for (const other of COMMANDS.filter((c) => c !== cmd)) {
      // A signature reprint's fields are a subset of an invoice reprint's, so that one pair overlaps.
      if (cmd === 'api/posreprintsignature' && other === 'api/posreprintinvoice') continue;
      expect(commandSchemas[other].safeParse(sample).success, other).toBe(false);
    }
  });
});
