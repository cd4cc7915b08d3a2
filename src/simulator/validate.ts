/**
 * Validates a decoded payload with the domain's request schemas and turns the first problem into
 * the field name and a short problem in the spec's language (the wire answer is Chinese; the
 * domain's English detail stays out of it).
 */
import type { z } from 'zod';
import type { Command } from '../domain/codec/index.js';
import {
  commandSchemas,
  type chargeRequestSchema,
  type queryRequestSchema,
  type refundRequestSchema,
  type reprintInvoiceRequestSchema,
  type reprintSignatureRequestSchema,
} from '../domain/schemas/requests/index.js';

export type ChargeData = z.output<typeof chargeRequestSchema>;
export type QueryData = z.output<typeof queryRequestSchema>;
export type RefundData = z.output<typeof refundRequestSchema>;
export type ReprintData = z.output<typeof reprintInvoiceRequestSchema> | z.output<typeof reprintSignatureRequestSchema>;

export type Validated =
  | { ok: true; cmd: 'api/postransaction'; data: ChargeData }
  | { ok: true; cmd: 'api/querydirect'; data: QueryData }
  | { ok: true; cmd: 'api/posrefund'; data: RefundData }
  | { ok: true; cmd: 'api/posreprintinvoice' | 'api/posreprintsignature'; data: ReprintData }
  | { ok: false; field: string; problem: string };

function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function describe(issue: z.core.$ZodIssue, raw: unknown): { field: string; problem: string } {
  if (issue.code === 'unrecognized_keys') return { field: issue.keys.join('、'), problem: '不在規格內' };
  const field = issue.path.map(String).join('.') || 'encry_data';
  if (at(raw, issue.path) === undefined) return { field, problem: '為必填' };
  // The domain's cross-field checks (items total vs cost, line total vs price × quantity) say "does not equal".
  if (issue.code === 'custom' && /does not equal/.test(issue.message)) return { field, problem: '金額不符' };
  return { field, problem: '格式錯誤' };
}

export function validateCommand(cmd: Command, raw: unknown): Validated {
  const parsed = (commandSchemas[cmd] as z.ZodType).safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return first ? { ok: false, ...describe(first, raw) } : { ok: false, field: 'encry_data', problem: '格式錯誤' };
  }
  return { ok: true, cmd, data: parsed.data } as Validated;
}
