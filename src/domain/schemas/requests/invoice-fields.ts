/**
 * The e-invoice fields of 『銷售系統發動交易』 and the rules that tie them together.
 *
 * The spec's wording is 「當 X 為 n,此欄位才有效」 ("only valid when X is n"), some fields adding
 * 「非必須」/「非必要」 (not required). We read it as:
 * - a field given (non-empty) outside its condition is an error, since the gateway would ignore it
 *   and the buyer would not get the invoice they asked for;
 * - a field under its condition without 「非必須」 is required there:
 *   input_type 1 → invoice_cloud_type; cloud_type 2 → invoice_mobile_code;
 *   cloud_type 3 → invoice_natural_person; input_type 2 → invoice_love_code;
 *   input_type 3 → invoice_b2b_title, invoice_b2b_id, invoice_b2b_address.
 *   Optional under their condition: invoice_tax_id (1), invoice_m_post_zone / invoice_m_address (cloud 4),
 *   invoice_b2b_post_zone (3).
 *
 * The formats (統一編號 8 digits, 手機條碼 `/` + 7 of [0-9A-Z.+-], 自然人憑證 2 letters + 14 digits,
 * 愛心碼 3–7 digits) are the Ministry of Finance e-invoice rules, which the spec does not restate.
 */
import type { z } from 'zod';
import { invoiceCloudTypeSchema } from '../../enums/invoice-cloud-type.js';
import { invoiceInputTypeSchema } from '../../enums/invoice-input-type.js';
import { invoicePrintTypeSchema } from '../../enums/invoice-print-type.js';
import { invoiceRateTypeSchema } from '../../enums/invoice-rate-type.js';
import { issueInvoiceStateSchema } from '../../enums/issue-invoice-state.js';
import { formatted, optionalText } from './fields.js';

export const BAN_PATTERN = /^\d{8}$/;
export const MOBILE_BARCODE_PATTERN = /^\/[0-9A-Z.+-]{7}$/;
export const NATURAL_PERSON_PATTERN = /^[A-Z]{2}\d{14}$/;
export const LOVE_CODE_PATTERN = /^\d{3,7}$/;

export const invoiceFieldsShape = {
  /** 電子發票是否開立 0 不開立, 1 開立, 2 依系統設定 (default). */
  issue_invoice_state: issueInvoiceStateSchema.optional(),
  /** 『電子發票列印類型』, default 2. */
  invoice_print_type: invoicePrintTypeSchema.optional(),
  /** 『電子發票稅率別』. */
  invoice_ratetype: invoiceRateTypeSchema.optional(),
  /** 1 雲端發票, 2 發票捐贈, 3 實體發票. */
  invoice_input_type: invoiceInputTypeSchema.optional(),
  /** 2 手機條碼, 3 自然人憑證條碼, 4 E-Mail; only with input_type 1. */
  invoice_cloud_type: invoiceCloudTypeSchema.optional(),
  /** 統一編號; only with input_type 1, optional. */
  invoice_tax_id: formatted(BAN_PATTERN, 'a 統一編號 of 8 digits').optional(),
  /** 手機條碼; only with cloud_type 2. */
  invoice_mobile_code: formatted(MOBILE_BARCODE_PATTERN, 'a 手機條碼 such as /ABC+123').optional(),
  /** 自然人憑證條碼; only with cloud_type 3. */
  invoice_natural_person: formatted(NATURAL_PERSON_PATTERN, 'a 自然人憑證條碼 of 2 capital letters and 14 digits').optional(),
  /** 紙本寄送郵遞區號; only with cloud_type 4, optional. */
  invoice_m_post_zone: optionalText(),
  /** 紙本寄送住址; only with cloud_type 4, optional. */
  invoice_m_address: optionalText(),
  /** 愛心碼; only with input_type 2. */
  invoice_love_code: formatted(LOVE_CODE_PATTERN, 'an 愛心碼 of 3 to 7 digits').optional(),
  /** 發票抬頭; only with input_type 3. */
  invoice_b2b_title: optionalText(),
  /** 統一編號; only with input_type 3. */
  invoice_b2b_id: formatted(BAN_PATTERN, 'a 統一編號 of 8 digits').optional(),
  /** 發票郵遞區號; only with input_type 3, optional. */
  invoice_b2b_post_zone: optionalText(),
  /** 發票地址; only with input_type 3. */
  invoice_b2b_address: optionalText(),
};

type InvoiceFields = { [K in keyof typeof invoiceFieldsShape]?: z.output<(typeof invoiceFieldsShape)[K]> };
type InvoiceField = keyof InvoiceFields;

interface Rule {
  field: InvoiceField;
  /** The condition under which the field is valid, as the spec words it. */
  when: string;
  applies: (v: InvoiceFields) => boolean;
  required: boolean;
}

const input = (n: number) => (v: InvoiceFields) => v.invoice_input_type === n;
// invoice_cloud_type itself is flagged when input_type is not 1, so its dependants only look at it.
const cloud = (n: number) => (v: InvoiceFields) => v.invoice_cloud_type === n;

/** One row per conditional field, straight from 『銷售系統發動交易』. */
export const INVOICE_FIELD_RULES: readonly Rule[] = [
  { field: 'invoice_cloud_type', when: 'invoice_input_type is 1', applies: input(1), required: true },
  { field: 'invoice_tax_id', when: 'invoice_input_type is 1', applies: input(1), required: false },
  { field: 'invoice_mobile_code', when: 'invoice_cloud_type is 2', applies: cloud(2), required: true },
  { field: 'invoice_natural_person', when: 'invoice_cloud_type is 3', applies: cloud(3), required: true },
  { field: 'invoice_m_post_zone', when: 'invoice_cloud_type is 4', applies: cloud(4), required: false },
  { field: 'invoice_m_address', when: 'invoice_cloud_type is 4', applies: cloud(4), required: false },
  { field: 'invoice_love_code', when: 'invoice_input_type is 2', applies: input(2), required: true },
  { field: 'invoice_b2b_title', when: 'invoice_input_type is 3', applies: input(3), required: true },
  { field: 'invoice_b2b_id', when: 'invoice_input_type is 3', applies: input(3), required: true },
  { field: 'invoice_b2b_post_zone', when: 'invoice_input_type is 3', applies: input(3), required: false },
  { field: 'invoice_b2b_address', when: 'invoice_input_type is 3', applies: input(3), required: true },
];

interface IssueSink {
  addIssue(issue: { code: 'custom'; message: string; path: (string | number)[] }): void;
}

/** Reports each invoice field given outside its condition, or missing where it is required. */
export function checkInvoiceFields(value: InvoiceFields, ctx: IssueSink): void {
  for (const rule of INVOICE_FIELD_RULES) {
    const v = value[rule.field];
    const given = v !== undefined && String(v).trim() !== '';
    const applies = rule.applies(value);
    if (given && !applies) {
      ctx.addIssue({ code: 'custom', path: [rule.field], message: `is only valid when ${rule.when}` });
    } else if (!given && applies && rule.required) {
      ctx.addIssue({ code: 'custom', path: [rule.field], message: `is required when ${rule.when}` });
    }
  }
}
