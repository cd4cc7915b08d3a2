/**
 * Field schemas shared by the request payloads (the decrypted `encry_data`).
 *
 * Numbers: the spec types amounts as `string` in 『銷售系統發動交易』 and 『商品資訊』 but `integer` in
 * 『商品項目』, and its samples send both (`'cost' => 10`, `cost: "10"`). Every amount and quantity
 * accepts a whole number or a string of digits and is normalised to a **string of decimal digits
 * without leading zeros** (`10`, `'010'` → `'10'`): one canonical form, the one most of the spec's
 * tables declare and the one the query answers carry. Use {@link amountValue} to do arithmetic.
 * Amounts are whole TWD; decimals, signs and exponents are refused.
 */
import { z } from 'zod';
import { requiredOr } from '../../enums/code-table.js';

const DIGITS = /^\d+$/;

/** Length in characters (code points), so one Chinese character or emoji counts once. */
export function charLength(text: string): number {
  return Array.from(text).length;
}

/** The number an amount string stands for (amount strings are validated safe integers). */
export function amountValue(amount: string): number {
  return Number(amount);
}

interface WholeOptions {
  /** Smallest value accepted. */
  min: number;
  /** Longest digit string accepted (the spec's string(n) lengths). */
  maxDigits?: number;
  /** What the value is, for messages ("a positive amount"). */
  what: string;
}

/** A whole number given as a number or a digit string, normalised to a digit string. */
export function wholeNumberText({ min, maxDigits, what }: WholeOptions) {
  const message = `must be ${what} (a whole number, as 10 or "10")`;
  return z.union([z.number(), z.string()], { error: requiredOr(message) }).transform((v, ctx): string => {
    const text = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v.trim();
    if (!DIGITS.test(text) || !Number.isSafeInteger(Number(text))) {
      ctx.issues.push({ code: 'custom', message, input: v });
      return z.NEVER;
    }
    const value = Number(text);
    const canonical = String(value);
    if (value < min) {
      ctx.issues.push({ code: 'custom', message: `must be at least ${min}, got ${canonical}`, input: v });
      return z.NEVER;
    }
    if (maxDigits !== undefined && canonical.length > maxDigits) {
      ctx.issues.push({ code: 'custom', message: `must be at most ${maxDigits} digits, got ${canonical.length}`, input: v });
      return z.NEVER;
    }
    return canonical;
  });
}

/** An order or refund amount in TWD: a positive whole number. */
export const amountSchema = wholeNumberText({ min: 1, what: 'a positive amount in TWD' });
/** A discount or fee in TWD: zero or more. */
export const nonNegativeAmountSchema = wholeNumberText({ min: 0, what: 'an amount in TWD of 0 or more' });

/**
 * A free-text field. Identifiers (order_id, uid, …) are sometimes sent as numbers by the samples'
 * languages, so numbers are accepted and turned into their decimal text.
 */
export function textSchema(opts: { max?: number; required?: boolean } = {}) {
  const { max, required = false } = opts;
  return z.union([z.string(), z.number()], { error: requiredOr('must be a string') }).transform((v, ctx): string => {
    const text = typeof v === 'number' ? String(v) : v;
    if (required && text.trim().length === 0) {
      ctx.issues.push({ code: 'custom', message: 'must not be empty', input: v });
      return z.NEVER;
    }
    if (max !== undefined && charLength(text) > max) {
      ctx.issues.push({ code: 'custom', message: `must be at most ${max} characters, got ${charLength(text)}`, input: v });
      return z.NEVER;
    }
    return text;
  });
}

/** A required identifier (store_uid, device_name, order_id, uid, key). */
export const requiredText = (max?: number) => textSchema({ required: true, ...(max === undefined ? {} : { max }) });
/** An optional free-text field. */
export const optionalText = (max?: number) => textSchema(max === undefined ? {} : { max }).optional();

/** `store_uid`: 「string(16) 特約商店商務代號」. */
export const storeUidSchema = requiredText(16);

/** A string field with a fixed format (e-invoice codes); `hint` names the format in the message. */
export function formatted(pattern: RegExp, hint: string) {
  return z.string({ error: requiredOr(`must be a string (${hint})`) }).regex(pattern, { error: `must be ${hint}` });
}
