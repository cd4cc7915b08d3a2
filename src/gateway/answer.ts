/**
 * The gateway's immediate answer `{code, msg, rows?}` (spec 回傳資料). First a loose check of the
 * answer's envelope (so B500 and unknown codes are told apart from a wrong shape), then the
 * command's own schema from src/domain/schemas (`commandAnswerSchemas`: rows of `querydirect`, etc.).
 */
import { z } from 'zod';
import type { Command } from '../domain/codec/index.js';
import type { CommandAnswer } from '../domain/schemas/answers/command-answers.js';

export const gatewayAnswerSchema = z.looseObject({
  code: z.string(),
  msg: z
    .union([z.string(), z.number(), z.null()])
    .optional()
    .transform((v) => (v === null || v === undefined ? '' : String(v))),
  rows: z.array(z.unknown()).optional(),
});

/** A `B200` answer of command `C`, parsed by the domain schema (unknown fields kept). */
export type GatewayAnswerBody<C extends Command = Command> = CommandAnswer<C> & { code: 'B200' };
/** A `B200` answer plus the round trip in milliseconds (encode, queue, connect, answer). */
export type GatewayAnswer<C extends Command = Command> = GatewayAnswerBody<C> & { latencyMs: number };
