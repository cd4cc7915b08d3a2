/**
 * Authentication for the HTTP API (Bearer keys) and the dashboard (HTTP Basic). Every comparison is
 * constant-time over SHA-256 digests (equal length whatever the input), and every configured key is
 * checked, so neither timing nor early exit tells an attacker how close a guess was.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function constantTimeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** True when `candidate` equals one of `secrets`; always compares against all of them. */
export function matchesAny(candidate: string, secrets: readonly string[]): boolean {
  let found = false;
  for (const s of secrets) found = constantTimeEqual(candidate, s) || found;
  return found;
}

/** `Authorization: Bearer <key>` with a key from `API_KEYS`; 401 problem otherwise. */
export function bearerAuth(keys: readonly string[]): RequestHandler {
  if (keys.length === 0) throw new Error('bearerAuth: no API keys configured');
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      next(unauthorized(header ? 'must be "Bearer <api key>"' : 'is required: "Bearer <api key>"'));
      return;
    }
    if (!matchesAny(m[1]!, keys)) {
      next(unauthorized('the API key is not valid'));
      return;
    }
    next();
  };
}

function unauthorized(message: string): HttpProblem {
  return new HttpProblem(401, 'unauthorized', 'Authentication required', [{ field: 'Authorization', message }], {
    'WWW-Authenticate': 'Bearer realm="mypay"',
  });
}

export interface BasicCredentials {
  user: string;
  password: string;
}

/**
 * HTTP Basic for Bull Board. Answers a plain 401 with a `WWW-Authenticate` challenge so a browser
 * shows its login prompt.
 */
export function basicAuth(creds: BasicCredentials, realm = 'mypay dashboard'): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (m) {
      const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      if (i >= 0) {
        // Both halves always compared: no early exit on a wrong user name.
        const userOk = constantTimeEqual(decoded.slice(0, i), creds.user);
        const passOk = constantTimeEqual(decoded.slice(i + 1), creds.password);
        if (userOk && passOk) {
          next();
          return;
        }
      }
    }
    res.status(401).set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`).type('text/plain').send('Authentication required');
  };
}
