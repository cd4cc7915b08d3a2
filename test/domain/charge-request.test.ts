import { describe, expect, it } from 'vitest';
import { chargeRequestSchema, parseOrThrow, ValidationError, type ChargeRequestInput } from '../../src/domain/index.js';
import { chargeCsharp, chargeJava, chargeJs, chargePhp, chargePython } from './spec-samples.js';

function fieldsOf(value: unknown): string[] {
  try {
    parseOrThrow(chargeRequestSchema, value);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues.map((i) => i.field);
  }
  throw new Error('expected a ValidationError');
}

describe('chargeRequestSchema (『銷售系統發動交易』)', () => {
  it.each([
    ['PHP', chargePhp],
    ['C#', chargeCsharp],
    ['Java', chargeJava],
    ['JavaScript', chargeJs],
    ['Python', chargePython],
  ])('accepts the spec %s sample', (_lang, sample) => {
    const parsed = parseOrThrow(chargeRequestSchema, sample);
    expect(parsed.cost).toBe('10');
    expect(parsed.pfn).toBe('CREDITCARD');
    expect(parsed.items?.[0]?.total).toBe('10');
  });

  it('normalises amounts sent as numbers and strings to the same digit strings', () => {
    const a = parseOrThrow(chargeRequestSchema, chargePhp);
    const b = parseOrThrow(chargeRequestSchema, chargeCsharp);
    expect(a).toEqual(b);
    expect(parseOrThrow(chargeRequestSchema, { ...chargeCsharp, cost: '010', items: [{ ...chargeCsharp.items[0], cost: 10, total: 10 }] }).cost).toBe('10');
  });

  it('accepts a pfn by 附錄一 code and normalises it to the name ("pfn=27跟pfn=PION,一樣")', () => {
    expect(parseOrThrow(chargeRequestSchema, { ...chargeJs, pfn: 27 }).pfn).toBe('PION');
    expect(parseOrThrow(chargeRequestSchema, { ...chargeJs, pfn: '37' }).pfn).toBe('CASH');
  });

  it('accepts every invoice combination the spec describes', () => {
    const base = { ...chargeJs, issue_invoice_state: 1, invoice_print_type: '1', invoice_ratetype: 1 };
    const ok: ChargeRequestInput[] = [
      { ...base, invoice_input_type: '1', invoice_cloud_type: '2', invoice_mobile_code: '/ABC+123', invoice_tax_id: '12345678' },
      { ...base, invoice_input_type: 1, invoice_cloud_type: 3, invoice_natural_person: 'AB12345678901234' },
      { ...base, invoice_input_type: '1', invoice_cloud_type: '4', user_email: 'a@example.com', invoice_m_post_zone: '100' },
      { ...base, invoice_input_type: '2', invoice_love_code: '919' },
      { ...base, invoice_input_type: '3', invoice_b2b_title: '公司', invoice_b2b_id: '12345678', invoice_b2b_address: '台北市' },
    ];
    for (const value of ok) expect(chargeRequestSchema.safeParse(value).success).toBe(true);
    const parsed = parseOrThrow(chargeRequestSchema, ok[0]);
    expect(parsed.invoice_input_type).toBe(1);
    expect(parsed.invoice_cloud_type).toBe(2);
    expect(parsed.invoice_print_type).toBe(1);
  });

  it('accepts discount and shipping_fee as adjustments of the items total', () => {
    const items = [{ id: '1', name: '拿鐵', cost: '60', amount: '2', total: '120' }];
    expect(chargeRequestSchema.safeParse({ ...chargeJs, items, cost: 110, discount: 20, shipping_fee: '10' }).success).toBe(true);
  });

  it('accepts actual_pay_mode with pfn CASH (「當pfn為CASH-自行收款時」)', () => {
    expect(parseOrThrow(chargeRequestSchema, { ...chargeJs, pfn: 'CASH', actual_pay_mode: 'LINEPAY' }).actual_pay_mode).toBe('LINEPAY');
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['missing store_uid', { ...chargeJs, store_uid: undefined }, 'store_uid'],
    ['store_uid over string(16)', { ...chargeJs, store_uid: '12345678901234567' }, 'store_uid'],
    ['missing device_name', { ...chargeJs, device_name: undefined }, 'device_name'],
    ['empty order_id', { ...chargeJs, order_id: '' }, 'order_id'],
    ['missing pfn', { ...chargeJs, pfn: undefined }, 'pfn'],
    ['unknown pfn name', { ...chargeJs, pfn: 'BITCOIN' }, 'pfn'],
    ['pfn code not in 附錄一', { ...chargeJs, pfn: 99 }, 'pfn'],
    ['zero cost', { ...chargeJs, cost: 0, items: undefined }, 'cost'],
    ['negative cost', { ...chargeJs, cost: -10, items: undefined }, 'cost'],
    ['decimal cost', { ...chargeJs, cost: '10.5', items: undefined }, 'cost'],
    ['items total ≠ cost', { ...chargeJs, cost: 20 }, 'cost'],
    ['item total ≠ cost × amount', { ...chargeJs, items: [{ id: '1', name: 'x', cost: '10', amount: '2', total: '10' }] }, 'items.0.total'],
    ['item id over 20 chars', { ...chargeJs, items: [{ ...chargeJs.items[0], id: 'x'.repeat(21) }] }, 'items.0.id'],
    ['item name over 20 chars', { ...chargeJs, items: [{ ...chargeJs.items[0], name: '拿'.repeat(21) }] }, 'items.0.name'],
    ['item amount over 10 digits', { ...chargeJs, items: [{ ...chargeJs.items[0], amount: '12345678901' }] }, 'items.0.amount'],
    ['item quantity 0', { ...chargeJs, items: [{ ...chargeJs.items[0], amount: 0 }] }, 'items.0.amount'],
    ['item without name', { ...chargeJs, items: [{ id: '1', cost: '10', amount: '1', total: '10' }] }, 'items.0.name'],
    ['empty items', { ...chargeJs, items: [] }, 'items'],
    ['currency other than TWD', { ...chargeJs, currency: 'USD' }, 'currency'],
    ['bad ip', { ...chargeJs, ip: '999.1.1.1' }, 'ip'],
    ['bad e-mail', { ...chargeJs, user_email: 'nope' }, 'user_email'],
    ['user_sn_type 4', { ...chargeJs, user_sn_type: '4' }, 'user_sn_type'],
    ['issue_invoice_state 3', { ...chargeJs, issue_invoice_state: 3 }, 'issue_invoice_state'],
    ['invoice_print_type 4', { ...chargeJs, invoice_print_type: 4 }, 'invoice_print_type'],
    ['invoice_ratetype 0', { ...chargeJs, invoice_ratetype: 0 }, 'invoice_ratetype'],
    ['invoice_input_type 4', { ...chargeJs, invoice_input_type: '4' }, 'invoice_input_type'],
    ['cloud type without input type 1', { ...chargeJs, invoice_input_type: '2', invoice_love_code: '919', invoice_cloud_type: '2' }, 'invoice_cloud_type'],
    ['input type 1 without cloud type', { ...chargeJs, invoice_input_type: '1' }, 'invoice_cloud_type'],
    ['cloud type 2 without mobile code', { ...chargeJs, invoice_input_type: '1', invoice_cloud_type: '2' }, 'invoice_mobile_code'],
    ['mobile code with cloud type 3', { ...chargeJs, invoice_input_type: '1', invoice_cloud_type: '3', invoice_natural_person: 'AB12345678901234', invoice_mobile_code: '/ABC+123' }, 'invoice_mobile_code'],
    ['malformed mobile code', { ...chargeJs, invoice_input_type: '1', invoice_cloud_type: '2', invoice_mobile_code: 'ABC1234' }, 'invoice_mobile_code'],
    ['cloud type 3 without natural person code', { ...chargeJs, invoice_input_type: '1', invoice_cloud_type: '3' }, 'invoice_natural_person'],
    ['m_address without cloud type 4', { ...chargeJs, invoice_input_type: '1', invoice_cloud_type: '2', invoice_mobile_code: '/ABC+123', invoice_m_address: '台北市' }, 'invoice_m_address'],
    ['love code without input type 2', { ...chargeJs, invoice_love_code: '919' }, 'invoice_love_code'],
    ['input type 2 without love code', { ...chargeJs, invoice_input_type: '2' }, 'invoice_love_code'],
    ['tax id with input type 3', { ...chargeJs, invoice_input_type: '3', invoice_b2b_title: 'x', invoice_b2b_id: '12345678', invoice_b2b_address: 'y', invoice_tax_id: '12345678' }, 'invoice_tax_id'],
    ['b2b id without input type 3', { ...chargeJs, invoice_b2b_id: '12345678' }, 'invoice_b2b_id'],
    ['input type 3 without b2b title', { ...chargeJs, invoice_input_type: '3', invoice_b2b_id: '12345678', invoice_b2b_address: 'y' }, 'invoice_b2b_title'],
    ['input type 3 without b2b address', { ...chargeJs, invoice_input_type: '3', invoice_b2b_id: '12345678', invoice_b2b_title: 'x' }, 'invoice_b2b_address'],
    ['b2b id not 8 digits', { ...chargeJs, invoice_input_type: '3', invoice_b2b_id: '1234567', invoice_b2b_title: 'x', invoice_b2b_address: 'y' }, 'invoice_b2b_id'],
    ['actual_pay_mode without pfn CASH', { ...chargeJs, actual_pay_mode: 'CASH' }, 'actual_pay_mode'],
    ['unknown actual_pay_mode', { ...chargeJs, pfn: 'CASH', actual_pay_mode: 'PAYPAL' }, 'actual_pay_mode'],
    ['misspelt field', { ...chargeJs, invoice_mobilecode: '/ABC+123' }, 'invoice_mobilecode'],
  ];

  it.each(invalid)('rejects %s, naming the field', (_name, value, field) => {
    expect(fieldsOf(value)).toContain(field);
  });

  it('says what is wrong with the total', () => {
    expect(() => parseOrThrow(chargeRequestSchema, { ...chargeJs, items: [{ id: '1', name: 'x', cost: '10', amount: '2', total: '20' }] })).toThrow(
      'cost: items total 20 does not equal cost 10',
    );
  });
});
