/**
 * Field schemas for what the gateway sends back. A real gateway is lenient about types: the spec's
 * own 查無資料 row carries `null`, `""` and numbers-as-strings side by side, and its tables type the
 * same field `integer` in one place and `string` in another (`trans_type`). So answer fields:
 * - never fail on `null`, `""`, a number for a string or a digit string for a number;
 * - do not restrict codes to their value tables (a new card type must not make a payment unreadable;
 *   the `*_LABELS` maps describe the known ones);
 * - keep unknown extra fields (objects are `looseObject`).
 * The fields the orchestrator decides on (prc, uid, key, order_id, cost) are always strings,
 * `''` when absent, so a missing value is never mistaken for a code.
 */
import { z } from 'zod';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]).optional();

/** A text field: number → its text, `null`/missing → `undefined`. */
export const looseText = scalar.transform((v): string | undefined => (v === null || v === undefined ? undefined : String(v)));

/** A text field we rely on: number → its text, `null`/missing → `''`. */
export const reliedText = scalar.transform((v): string => (v === null || v === undefined ? '' : String(v).trim()));

/** An integer-coded field: `2` or `'2'` → 2; `null`, `''` or non-numeric text → `undefined`. */
export const looseInt = scalar.transform((v): number | undefined => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
});

/**
 * A JSON-typed text field (`redeem`, `result_content`, `invoice_order_detail`): kept as received,
 * string or already-decoded value. Decode it with the helpers of `decode.ts`.
 */
export const looseJson = z
  .unknown()
  .optional()
  .transform((v): unknown => (v === null ? undefined : v));

/**
 * An array of rows: `null`, `''` or missing → `[]`. Preprocessed rather than a union so a bad row
 * is reported at its own path (`refund_order.0.prc`), not as one opaque union failure.
 */
export function looseArray<T extends z.ZodType>(row: T) {
  return z.preprocess(
    (v) => (v === null || v === '' ? undefined : v),
    z
      .array(row)
      .optional()
      .transform((v): z.output<T>[] => v ?? []),
  );
}
