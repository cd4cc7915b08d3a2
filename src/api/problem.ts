/**
 * Errors as `application/problem+json` (RFC 9457): one shape and one mapper for every failure of every
 * HTTP route (the v1 API, refund batches, the worker's ops server), each bad field named in `errors[]`
 * (the same `{field, message}` pairs as a ValidationError, src/domain/validation.ts). Anything thrown is turned into a
 * problem once, here, at the edge: an error of the family (src/domain/errors.ts) brings its own HTTP
 * status, code, title and `retryable`; express's body-parser errors are mapped by their `type`;
 * anything else is a 500 that is safe to retry with the same idempotency key.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { MypayError, type ValidationIssue } from '../domain/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  /** `urn:mypay:problem:<code>`: stable, for programs. */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The same code as in `type`, for clients that prefer a plain string. */
  code: string;
  /** Whether the same request, unchanged, may succeed if sent again (later). */
  retryable: boolean;
  /** Each field at fault (dotted path, or a header name such as `Idempotency-Key`). */
  errors: ValidationIssue[];
}

/** An error raised by a route that already knows its HTTP answer; retryable when 5xx. */
export class HttpProblem extends MypayError {
  readonly retryable: boolean;
  readonly httpStatus: number;
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly issues: ValidationIssue[] = [],
    readonly headers: Record<string, string> = {},
    detail?: string,
  ) {
    super(detail ?? (issues.length ? issues.map((i) => `${i.field}: ${i.message}`).join('; ') : title));
    this.name = 'HttpProblem';
    this.httpStatus = status;
    this.retryable = status >= 500;
  }

  override fieldsAtFault(): readonly ValidationIssue[] {
    return this.issues;
  }
}

export const fieldProblem = (status: number, code: string, title: string, field: string, message: string) =>
  new HttpProblem(status, code, title, [{ field, message }]);

export function sendProblem(res: Response, p: Omit<Problem, 'type'>, headers: Record<string, string> = {}): void {
  const body: Problem = { type: `urn:mypay:problem:${p.code}`, ...p };
  res.status(p.status).set(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** body-parser's errors carry a `type`; these are the client's fault. */
interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
}

type Mapped = { problem: Omit<Problem, 'type'>; headers: Record<string, string> };

const clientFault = (status: number, code: string, title: string, detail: string, errors: ValidationIssue[]): Mapped => ({
  problem: { status, code, title, detail, retryable: false, errors },
  headers: {},
});

export function toProblem(err: unknown): Mapped {
  if (err instanceof MypayError) {
    return {
      problem: { status: err.httpStatus, code: err.code.toLowerCase(), title: err.title, detail: err.message, retryable: err.retryable, errors: [...err.fieldsAtFault()] },
      headers: err instanceof HttpProblem ? err.headers : {},
    };
  }
  const bp = (err ?? {}) as BodyParserError;
  switch (bp.type) {
    case 'parameters.too.many':
      return clientFault(413, 'body_too_large', 'Request body too large', 'too many form parameters', [{ field: '(body)', message: 'has too many parameters' }]);
    case 'entity.too.large':
      return clientFault(413, 'body_too_large', 'Request body too large', `the body exceeds ${bp.limit ?? 'the'} bytes`, [{ field: '(body)', message: `must be at most ${bp.limit ?? '?'} bytes` }]);
    case 'entity.parse.failed':
      return clientFault(400, 'malformed_body', 'Malformed request body', 'the body is not valid JSON', [{ field: '(body)', message: 'is not valid JSON' }]);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return clientFault(415, 'unsupported_encoding', 'Unsupported body encoding', 'send UTF-8 JSON', [{ field: 'Content-Type', message: 'charset or encoding not supported' }]);
    default:
      break;
  }
  return {
    problem: { status: 500, code: 'internal', title: 'Internal error', detail: 'the request could not be completed; it is safe to retry with the same idempotency key', retryable: true, errors: [] },
    headers: {},
  };
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { problem, headers } = toProblem(err);
    if (problem.status >= 500) logger.error({ err: err instanceof Error ? err.message : String(err), code: problem.code, path: req.path }, 'request failed');
    else logger.debug({ status: problem.status, code: problem.code, path: req.path, errors: problem.errors }, 'request refused');
    if (res.headersSent) return;
    sendProblem(res, problem, headers);
  };
}

export const notFound: RequestHandler = (req, res) =>
  sendProblem(res, { status: 404, code: 'not_found', title: 'Not found', detail: `no route ${req.method} ${req.path}`, retryable: false, errors: [] });
