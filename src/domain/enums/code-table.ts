/**
 * Builders for the spec's value tables (『…』值內容). Each table is a const array of its codes, a
 * union type, a Chinese label map and a zod schema built here.
 *
 * The spec's samples send the same code as a number (`'type' => 1`) or a string (`"6"`), and its
 * tables disagree with its field lists about which one a field is (『電子發票開立類型』 is `integer`
 * in its value table, `string` in 『銷售系統發動交易』). So every code schema accepts both forms and
 * normalises to the one type the value table declares: {@link intCodeSchema} to a number,
 * {@link strCodeSchema} to a string.
 */
import { z } from 'zod';

const INTEGER_TEXT = /^\s*-?\d+\s*$/;

/**
 * A zod error map: `is required` for a missing value, else `message`. zod's own wording for a
 * missing key names the expected type, which hides what is wrong.
 */
export function requiredOr(message: string) {
  return (issue: { input?: unknown }): string => (issue.input === undefined ? 'is required' : message);
}

function expected(values: readonly (string | number)[], table: string): string {
  return `expected one of ${values.join(', ')} (『${table}』)`;
}

/** A code whose value table says `integer`: accepts `2` or `'2'`, outputs the number. */
export function intCodeSchema<const V extends readonly [number, ...number[]]>(values: V, table: string) {
  const message = expected(values, table);
  return z
    .union([z.number(), z.string()], { error: requiredOr(message) })
    .transform((v, ctx) => {
      if (typeof v === 'number' || INTEGER_TEXT.test(v)) return Number(v);
      ctx.issues.push({ code: 'custom', message, input: v });
      return z.NEVER;
    })
    .pipe(z.literal(values, { error: message }));
}

/** A code whose value table says `string`: accepts `'6'` or `6`, outputs the string. */
export function strCodeSchema<const V extends readonly [string, ...string[]]>(values: V, table: string) {
  const message = expected(values, table);
  return z
    .union([z.string(), z.number()], { error: requiredOr(message) })
    .transform((v) => String(v).trim())
    .pipe(z.enum(values, { error: message }));
}

/** The Chinese label of a code, or `undefined` for a code the table does not have. */
export function labelOf<K extends string | number>(labels: Readonly<Record<K, string>>, code: unknown): string | undefined {
  if (typeof code !== 'string' && typeof code !== 'number') return undefined;
  const key = String(code).trim();
  return Object.prototype.hasOwnProperty.call(labels, key) ? (labels as Record<string, string>)[key] : undefined;
}
