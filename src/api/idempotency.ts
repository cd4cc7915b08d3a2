/**
 * `Idempotency-Key` header → the core's idempotency key of each operation (docs/CORE.md › Operations and their records). The key
 * that counts is always a field of the payload, stored in our own records:
 *
 * | endpoint               | key field   | header                                                    |
 * |------------------------|-------------|-----------------------------------------------------------|
 * | POST /v1/charges       | `order_id`  | optional; fills `order_id` when absent, else must equal it |
 * | POST /v1/refunds       | `refund_id` | optional; fills `refund_id` when absent, else must equal it|
 * | POST /v1/reprints/*    | `reprint_id`| optional; fills `reprint_id` when absent, else must equal it|
 *
 * Same key + same parameters → the existing operation (202, `Idempotent-Replayed: true`); same key +
 * other parameters → 409 naming the key field. A header that disagrees with the body is a 400: we
 * cannot tell which of the two the caller meant.
 */
import type { Request } from 'express';
import { HttpProblem } from './problem.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const MAX_LENGTH = 255;

export function idempotencyKey(req: Request): string | undefined {
  const raw = req.get(IDEMPOTENCY_HEADER);
  if (raw === undefined) return undefined;
  const key = raw.trim();
  if (key.length === 0 || key.length > MAX_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw new HttpProblem(400, 'validation', 'Invalid request', [
      { field: IDEMPOTENCY_HEADER, message: `must be 1–${MAX_LENGTH} printable ASCII characters without spaces` },
    ]);
  }
  return key;
}

/** The body with the key field filled from the header, or a 400 when both are given and differ. */
export function applyIdempotencyKey(body: Record<string, unknown>, field: string, key: string | undefined): Record<string, unknown> {
  if (key === undefined) return body;
  const given = body[field];
  if (given === undefined || given === null) return { ...body, [field]: key };
  if ((typeof given === 'string' || typeof given === 'number') && String(given).trim() === key) return body;
  throw new HttpProblem(400, 'idempotency_key_mismatch', 'Idempotency-Key does not match the payload', [
    { field: IDEMPOTENCY_HEADER, message: `must equal ${field} when both are given` },
  ]);
}
