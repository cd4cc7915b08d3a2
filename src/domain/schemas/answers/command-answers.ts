/** The immediate answer schema of each command. */
import type { z } from 'zod';
import type { Command } from '../../codec/envelope.js';
import { basicAnswerSchema } from './basic-answer.js';
import { queryAnswerSchema } from './query-answer.js';

export const commandAnswerSchemas = {
  'api/postransaction': basicAnswerSchema,
  'api/querydirect': queryAnswerSchema,
  'api/posrefund': basicAnswerSchema,
  'api/posreprintinvoice': basicAnswerSchema,
  'api/posreprintsignature': basicAnswerSchema,
} as const satisfies Record<Command, z.ZodType>;

export type CommandAnswer<C extends Command> = z.output<(typeof commandAnswerSchemas)[C]>;
