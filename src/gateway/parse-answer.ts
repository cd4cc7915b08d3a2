/** Turns a 2xx body into a B200 answer, a {@link GatewayRejectedError} or a {@link GatewayBadAnswerError}. */
import type { Command } from '../domain/codec/index.js';
import { gatewayAnswerSchema, queryAnswerEnvelopeSchema, type GatewayAnswerBody } from './answer.js';
import { classifyRejection } from './classify-rejection.js';
import { GatewayBadAnswerError, GatewayRejectedError } from './errors.js';
import type { RawAnswer } from './post.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseAnswer(cmd: Command, host: string, raw: RawAnswer): GatewayAnswerBody {
  let json: unknown;
  try {
    // PHP back ends sometimes emit a UTF-8 BOM before the JSON.
    json = JSON.parse(utf8.decode(raw.body).replace(/^\uFEFF/, ''));
  } catch {
    // The body is not quoted back: a proxy error page could echo our form, encry_data included.
    throw new GatewayBadAnswerError(cmd, 'not_json', host, raw.status, `${raw.body.length} bytes of ${raw.contentType || 'unknown type'}`);
  }
  const parsed = gatewayAnswerSchema.safeParse(json);
  if (!parsed.success) throw new GatewayBadAnswerError(cmd, 'bad_shape', host, raw.status, shapeIssues(parsed.error.issues));
  const answer = parsed.data;
  if (answer.code === 'B500') throw new GatewayRejectedError(cmd, classifyRejection(answer.msg), answer.msg);
  if (answer.code !== 'B200') throw new GatewayBadAnswerError(cmd, 'unknown_code', host, raw.status, `code ${JSON.stringify(answer.code.slice(0, 16))}`);
  if (cmd === 'api/querydirect') {
    const query = queryAnswerEnvelopeSchema.safeParse(answer);
    if (!query.success) throw new GatewayBadAnswerError(cmd, 'bad_shape', host, raw.status, shapeIssues(query.error.issues));
  }
  return { ...answer, code: 'B200' };
}

const shapeIssues = (issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string =>
  issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
