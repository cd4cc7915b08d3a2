/**
 * The immediate answer of every command: `{code: 'B200'|'B500', msg}` (query answers add `rows`).
 * B200 means the gateway took the request, B500 that it did not (offline terminal
 * 「設備「A01」目前未連線,請確認」, bad data, …). Any other code fails the parse, so it is never
 * taken for an acceptance.
 */
import { z } from 'zod';
import { answerCodeSchema } from '../../enums/answer-code.js';
import { looseText } from './lenient.js';

export const basicAnswerSchema = z.looseObject({
  code: answerCodeSchema,
  msg: looseText.transform((v) => v ?? ''),
});

export type BasicAnswer = z.output<typeof basicAnswerSchema>;
export type BasicAnswerInput = z.input<typeof basicAnswerSchema>;
