/**
 * Errors as `application/problem+json` (RFC 9457): one shape for every failure of the HTTP API, each
 * bad field named in `errors[]` (the same `{field, message}` pairs as {@link ValidationError}).
 * Anything thrown is turned into a problem once, here, at the edge.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { ValidationError, type ValidationIssue } from '../domain/validation.js';
import { IdempotencyConflictError, RefundBalanceError } from '../producers/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  /** `urn:mypay:problem:<code>`: stable, for programs. */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The same code as in `type`, for clients that prefer a plain string. */
  code: string;
  /** Each field at fault (dotted path, or a header name such as `Idempotency-Key`). */
  errors: ValidationIssue[];
}

/** An error that already knows its HTTP answer. */
export class HttpProblem extends Error {
  readonly retryable: boolean;
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly issues: ValidationIssue[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(issues.length ? issues.map((i) => `${i.field}: ${i.message}`).join('; ') : title);
    this.name = 'HttpProblem';
    this.retryable = status >= 500;
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

export function toProblem(err: unknown): { problem: Omit<Problem, 'type'>; headers: Record<string, string> } {
  if (err instanceof HttpProblem) {
    return { problem: { status: err.status, code: err.code, title: err.title, detail: err.message, errors: err.issues }, headers: err.headers };
  }
  if (err instanceof IdempotencyConflictError) {
    return { problem: { status: 409, code: 'idempotency_conflict', title: 'Idempotency key reused with other parameters', detail: err.message, errors: [{ field: err.field, message: 'an operation with this key already exists with other parameters' }] }, headers: {} };
  }
  if (err instanceof RefundBalanceError) {
    return { problem: { status: 422, code: 'refund_exceeds_balance', title: 'Refund exceeds the refundable balance', detail: err.message, errors: err.issues }, headers: {} };
  }
  if (err instanceof ValidationError) {
    return { problem: { status: 400, code: 'validation', title: 'Invalid request', detail: err.message, errors: err.issues }, headers: {} };
  }
  const bp = (err ?? {}) as BodyParserError;
  switch (bp.type) {
    case 'parameters.too.many':
      return { problem: { status: 413, code: 'body_too_large', title: 'Request body too large', detail: 'too many form parameters', errors: [{ field: '(body)', message: 'has too many parameters' }] }, headers: {} };
    case 'entity.too.large':
      return { problem: { status: 413, code: 'body_too_large', title: 'Request body too large', detail: `the body exceeds ${bp.limit ?? 'the'} bytes`, errors: [{ field: '(body)', message: `must be at most ${bp.limit ?? '?'} bytes` }] }, headers: {} };
    case 'entity.parse.failed':
      return { problem: { status: 400, code: 'malformed_body', title: 'Malformed request body', detail: 'the body is not valid JSON', errors: [{ field: '(body)', message: 'is not valid JSON' }] }, headers: {} };
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return { problem: { status: 415, code: 'unsupported_encoding', title: 'Unsupported body encoding', detail: 'send UTF-8 JSON', errors: [{ field: 'Content-Type', message: 'charset or encoding not supported' }] }, headers: {} };
    default:
      break;
  }
  return { problem: { status: 500, code: 'internal', title: 'Internal error', detail: 'the request could not be completed; it is safe to retry with the same idempotency key', errors: [] }, headers: {} };
}

export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { problem, headers } = toProblem(err);
    if (problem.status >= 500) logger.error({ err: err instanceof Error ? err.message : String(err), path: req.path }, 'request failed');
    else logger.debug({ status: problem.status, code: problem.code, path: req.path, errors: problem.errors }, 'request refused');
    if (res.headersSent) return;
    sendProblem(res, problem, headers);
  };
}

export const notFound: RequestHandler = (req, res) =>
  sendProblem(res, { status: 404, code: 'not_found', title: 'Not found', detail: `no route ${req.method} ${req.path}`, errors: [] });
