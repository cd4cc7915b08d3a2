/**
 * Loose validation of the gateway's immediate answer `{code, msg, rows?}` (spec 回傳資料). Row-level
 * schemas belong to src/domain/schemas; here only the envelope of the answer is checked so a wrong
 * shape is a {@link GatewayBadAnswerError} and never a half-read object.
 */
import { z } from 'zod';

export const gatewayAnswerSchema = z.looseObject({
  code: z.string(),
  msg: z.string().optional().default(''),
  rows: z.array(z.unknown()).optional(),
});

/** A `B200` answer as the gateway sent it (unknown fields kept). */
export type GatewayAnswerBody = z.infer<typeof gatewayAnswerSchema> & { code: 'B200' };
/** A `B200` answer plus the round trip in milliseconds (encode, queue, connect, answer). */
export type GatewayAnswer = GatewayAnswerBody & { latencyMs: number };

/** `querydirect` must carry `rows` (empty or not) on B200. */
export const queryAnswerEnvelopeSchema = gatewayAnswerSchema.extend({ rows: z.array(z.unknown()) });
