/** Body parsing with a size limit: JSON for the intake API, form or JSON for gateway callbacks. */
import express, { type RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

/** 415 unless the body (if any) is JSON. A request without a body passes; the schema then says what is missing. */
export const requireJson: RequestHandler = (req, _res, next) => {
  const empty = req.get('content-length') === '0' && !req.get('content-type');
  if (!empty && req.is('application/json') === false) {
    next(new HttpProblem(415, 'unsupported_media_type', 'Unsupported media type', [{ field: 'Content-Type', message: 'must be application/json' }]));
    return;
  }
  next();
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON must be UTF-8 (RFC 8259 §8.1): another declared charset (UTF-7 would smuggle `<script>` as
 * `+ADw-script+AD4-`) is 415, and bytes that are not UTF-8 are 400 rather than silently replaced.
 */
function verifyUtf8(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  if (encoding.toLowerCase().replace('_', '-') !== 'utf-8') throw Object.assign(new Error(`charset ${encoding} not supported`), { type: 'charset.unsupported', status: 415 });
  try {
    utf8.decode(buf);
  } catch {
    throw Object.assign(new Error('body is not UTF-8'), { type: 'entity.parse.failed', status: 400 });
  }
}

const json = (limitBytes: number) => express.json({ limit: limitBytes, strict: true, type: 'application/json', verify: verifyUtf8 });

export function jsonBody(limitBytes: number): RequestHandler[] {
  return [requireJson, json(limitBytes)];
}

/** The gateway's samples post callbacks form-urlencoded; other integrations send JSON. */
export function formOrJsonBody(limitBytes: number): RequestHandler[] {
  return [
    (req, _res, next) => {
      if (req.is(['application/json', 'application/x-www-form-urlencoded']) === false) {
        next(new HttpProblem(415, 'unsupported_media_type', 'Unsupported media type', [{ field: 'Content-Type', message: 'must be application/x-www-form-urlencoded or application/json' }]));
        return;
      }
      next();
    },
    json(limitBytes),
    express.urlencoded({ limit: limitBytes, extended: false, type: 'application/x-www-form-urlencoded', parameterLimit: 200 }),
  ];
}

/** The parsed body as an object, or a 400 naming the body as a whole. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (body === undefined) {
    throw new HttpProblem(400, 'validation', 'Invalid request', [{ field: '(body)', message: 'is required: a JSON object' }]);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpProblem(400, 'validation', 'Invalid request', [{ field: '(root)', message: 'must be a JSON object' }]);
  }
  return { ...(body as Record<string, unknown>) };
}
