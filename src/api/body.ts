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

export function jsonBody(limitBytes: number): RequestHandler[] {
  return [requireJson, express.json({ limit: limitBytes, strict: true, type: 'application/json' })];
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
    express.json({ limit: limitBytes, strict: true, type: 'application/json' }),
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
