/** Turns a 2xx body into a B200 answer, a {@link GatewayRejectedError} or a {@link GatewayBadAnswerError}. */
import type { Command } from '../domain/codec/index.js';
import { commandAnswerSchemas } from '../domain/schemas/answers/command-answers.js';
import { gatewayAnswerSchema, type GatewayAnswerBody } from './answer.js';
import { classifyRejection } from './classify-rejection.js';
import { GatewayBadAnswerError, GatewayRejectedError } from './errors.js';
import type { RawAnswer } from './post.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseAnswer<C extends Command>(cmd: C, host: string, raw: RawAnswer): GatewayAnswerBody<C> {
  let json: unknown;
  try {
    // PHP back ends sometimes emit a UTF-8 BOM before the JSON.
    json = JSON.parse(utf8.decode(raw.body).replace(/^\uFEFF/, ''));
  } catch {
    // The body is not quoted back: a proxy error page could echo our form, encry_data included.
    throw new GatewayBadAnswerError(cmd, 'not_json', host, raw.status, `${raw.body.length} bytes of ${raw.contentType || 'unknown type'}`);
  }
  const loose = gatewayAnswerSchema.safeParse(json);
  if (!loose.success) throw new GatewayBadAnswerError(cmd, 'bad_shape', host, raw.status, shapeIssues(loose.error.issues));
  const { code, msg } = loose.data;
  if (code === 'B500') throw new GatewayRejectedError(cmd, classifyRejection(msg), msg);
  if (code !== 'B200') throw new GatewayBadAnswerError(cmd, 'unknown_code', host, raw.status, `code ${JSON.stringify(code.slice(0, 16))}`);
  // A B200 query answer without `rows` is not a MYPAY answer: "no rows" must never be inferred from
  // a missing field, since it feeds the "is this order unknown to the gateway?" decision.
  if (cmd === 'api/querydirect' && !Array.isArray(loose.data.rows)) {
    throw new GatewayBadAnswerError(cmd, 'bad_shape', host, raw.status, 'rows: required on a querydirect answer');
  }
  const typed = commandAnswerSchemas[cmd].safeParse(json);
  if (!typed.success) throw new GatewayBadAnswerError(cmd, 'bad_shape', host, raw.status, shapeIssues(typed.error.issues));
  return typed.data as GatewayAnswerBody<C>;
}

const shapeIssues = (issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string =>
  issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
