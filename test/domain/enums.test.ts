import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as domain from '../../src/domain/index.js';
import {
  ACTUAL_PAY_MODE_LABELS,
  CARD_TYPE_LABELS,
  INVOICE_CLOUD_TYPE_LABELS,
  INVOICE_INPUT_TYPE_LABELS,
  INVOICE_PRINT_DEVICE_LABELS,
  INVOICE_PRINT_TYPE_LABELS,
  INVOICE_RATE_TYPE_LABELS,
  INVOICE_STATE_LABELS,
  INVOICE_TITLE_TYPE_LABELS,
  invoicePrintTypeSchema,
  labelOf,
  normalisePfn,
  PFN_CODES,
  pfnCode,
  pfnSchema,
  PFNS,
  RECEIPT_TYPE_LABELS,
  receiptTypeSchema,
  REDEEM_TYPE_LABELS,
  REFUND_INVOICE_STATE_LABELS,
  REPRINT_KIND_LABELS,
  RESULT_CONTENT_TYPE_LABELS,
  RESULT_TYPE_LABELS,
  SUPPLIER_CODE_LABELS,
  TRANS_TYPE_LABELS,
  TRANSACTION_MODE_LABELS,
} from '../../src/domain/index.js';

describe('pfn (『銷售系統發動交易』 names and 附錄一 codes)', () => {
  it.each([
    ['PION', 'PION'],
    [27, 'PION'],
    ['27', 'PION'],
    [10, 'ALIPAY'],
    [13, 'WECHAT'],
    [15, 'LINEPAYON'],
    [31, 'JKOON'],
    [37, 'CASH'],
    ['38', 'EASYWALLETON'],
    ['CREDITCARD', 'CREDITCARD'],
    ['OFFLINE', 'OFFLINE'],
    ['PXPAYON', 'PXPAYON'],
    ['PLUSPAYON', 'PLUSPAYON'],
  ])('accepts %j as %s', (input, name) => {
    expect(pfnSchema.parse(input)).toBe(name);
  });

  it.each([['creditcard'], [''], [11], ['0'], [27.5], ['LINEPAY'], [null], [true]])('refuses %j', (input) => {
    expect(pfnSchema.safeParse(input).success).toBe(false);
  });

  it('maps every 附錄一 code to a name a charge may send, and back', () => {
    for (const [code, name] of Object.entries(PFN_CODES)) {
      expect(PFNS).toContain(name);
      expect(pfnCode(name)).toBe(Number(code));
      expect(normalisePfn(code)).toBe(name);
    }
    expect(pfnCode('CREDITCARD')).toBeUndefined();
  });
});

describe('code schemas accept numbers and strings', () => {
  it('normalises integer-table codes to numbers and string-table codes to strings', () => {
    expect(invoicePrintTypeSchema.parse('3')).toBe(3);
    expect(invoicePrintTypeSchema.parse(0)).toBe(0);
    expect(receiptTypeSchema.parse(2)).toBe('2');
    expect(invoicePrintTypeSchema.safeParse('1.5').success).toBe(false);
    expect(invoicePrintTypeSchema.safeParse('').success).toBe(false);
  });

  it('labels codes given in either form', () => {
    expect(labelOf(INVOICE_PRINT_TYPE_LABELS, '2')).toBe('只印電子發票');
    expect(labelOf(RECEIPT_TYPE_LABELS, 2)).toBe('只印持卡人存根');
    expect(labelOf(CARD_TYPE_LABELS, 9)).toBeUndefined();
    expect(labelOf(CARD_TYPE_LABELS, 'toString')).toBeUndefined();
  });
});

/**
 * Every 『…』值內容 table of the spec, read from the spec itself, against our label maps: a code added
 * to (or mistyped from) the spec fails here.
 */
// The spec, kept in the repository (docs/spec/mypay-link-api.txt), so this test runs on any clone.
const SPEC = fileURLToPath(new URL('../../docs/spec/mypay-link-api.txt', import.meta.url));

const TABLES: Record<string, Readonly<Record<string | number, string>>> = {
  信用卡別類型: CARD_TYPE_LABELS,
  交易服務類型: TRANSACTION_MODE_LABELS,
  金流供應商代碼: SUPPLIER_CODE_LABELS,
  交易類型定義: TRANS_TYPE_LABELS,
  閘道內容回傳格式類型: RESULT_TYPE_LABELS,
  資料內容所屬支付名稱: RESULT_CONTENT_TYPE_LABELS,
  電子發票開立狀態類型: INVOICE_STATE_LABELS,
  電子發票紙本列印標題類型: INVOICE_TITLE_TYPE_LABELS,
  電子發票列印類型: INVOICE_PRINT_TYPE_LABELS,
  電子發票列印設備: INVOICE_PRINT_DEVICE_LABELS,
  電子發票稅率別: INVOICE_RATE_TYPE_LABELS,
  電子發票開立類型: INVOICE_INPUT_TYPE_LABELS,
  雲端發票類型: INVOICE_CLOUD_TYPE_LABELS,
  紅利資訊類型: REDEEM_TYPE_LABELS,
  發票列印種類: REPRINT_KIND_LABELS,
  電子發票退款時使用作廢或折讓: REFUND_INVOICE_STATE_LABELS,
  銷售系統對設備發動簽單列印類型: RECEIPT_TYPE_LABELS,
  自行收款付款方式: ACTUAL_PAY_MODE_LABELS,
};

function specTables(text: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^『(.+)』值內容$/.exec(line.trim());
    if (!m?.[1]) return;
    const codes: string[] = [];
    // Title, blank line, header 「型態 說明 備註」, then one row per code up to the next blank line.
    for (let j = i + 3; j < lines.length; j++) {
      const row = /^(\S+) (string|integer) /.exec(lines[j] ?? '');
      if (!row?.[1]) break;
      codes.push(row[1]);
    }
    tables.set(m[1], codes);
  });
  return tables;
}

describe('value tables match the spec', () => {
  const tables = specTables(readFileSync(SPEC, 'utf8'));

  it('has a label map for every 『…』值內容 table of the spec', () => {
    expect([...tables.keys()].sort()).toEqual(Object.keys(TABLES).sort());
  });

  it.each(Object.keys(TABLES))('『%s』 has exactly the spec codes', (name) => {
    expect(Object.keys(TABLES[name]!).sort()).toEqual([...(tables.get(name) ?? [])].sort());
  });

  it('lists the pfn names of 『銷售系統發動交易』 and the codes of 附錄一', () => {
    const text = readFileSync(SPEC, 'utf8');
    const pfnBlock = text.slice(text.indexOf('pfn 支付方式支援的方式有'), text.indexOf('discount 折價金額'));
    expect([...pfnBlock.matchAll(/^([A-Z]+)\(/gm)].map((m) => m[1]).sort()).toEqual([...PFNS].sort());
    const appendix = text.slice(text.indexOf('附錄一:'), text.indexOf('附錄二:'));
    const codes = Object.fromEntries([...appendix.matchAll(/^(\d+) ([A-Z]+) 啟用/gm)].map((m) => [m[1], m[2]]));
    expect(codes).toEqual(Object.fromEntries(Object.entries(PFN_CODES).map(([k, v]) => [k, v])));
  });
});

describe('domain index', () => {
  it('re-exports codec, enums, schemas, prc and validation', () => {
    for (const name of ['encodeEnvelope', 'pfnSchema', 'chargeRequestSchema', 'queryAnswerSchema', 'classifyPrc', 'parseOrThrow', 'commandSchemas']) {
      expect(domain).toHaveProperty(name);
    }
  });
});
