/**
 * Authentication for the HTTP API (Bearer keys) and the dashboard (HTTP Basic). Every comparison is
 * constant-time over SHA-256 digests (equal length whatever the input), and every configured key is
 * checked, so neither timing nor early exit tells an attacker how close a guess was.
 *
 * A matching key becomes the request's principal (`res.locals.principal`: name, stores, role; see
 * scope.ts): `API_KEYS` are every-store `write` keys, `API_KEYS_FILE` adds scoped ones. A `read`
 * key is refused (403) on anything but GET/HEAD before any look-up.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { ApiKeyEntry } from '../config/api-keys.js';
import { HttpProblem } from './problem.js';
import { PRINCIPAL, type Principal } from './scope.js';

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

/**
 * Every key of the deployment with its principal: `API_KEYS` (every store, write; named
 * `API_KEYS[1]`, `API_KEYS[2]`, …) and the scoped keys of `API_KEYS_FILE`.
 */
export function keyring(apiKeys: readonly string[], scoped: readonly ApiKeyEntry[] = []): ApiKeyEntry[] {
  return [...apiKeys.map((k, i): ApiKeyEntry => ({ name: `API_KEYS[${i + 1}]`, stores: '*', role: 'write', sha256: digest(k) })), ...scoped];
}

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * `Authorization: Bearer <key>` with a configured key (plain strings: `API_KEYS`, every store,
 * write; or a {@link keyring}); 401 problem otherwise. Attaches the key's principal to
 * `res.locals.principal`; a `read` key on a method other than GET/HEAD → 403 `forbidden`.
 */
export function bearerAuth(keys: readonly string[] | readonly ApiKeyEntry[]): RequestHandler {
  const ring: readonly ApiKeyEntry[] = keys.every((k) => typeof k === 'string') ? keyring(keys as readonly string[]) : (keys as readonly ApiKeyEntry[]);
  if (ring.length === 0) throw new Error('bearerAuth: no API keys configured');
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      next(unauthorized(header ? 'must be "Bearer <api key>"' : 'is required: "Bearer <api key>"'));
      return;
    }
    const candidate = digest(m[1]!);
    // Compared with every key, whatever matched (no early exit).
    let found: ApiKeyEntry | undefined;
    for (const entry of ring) {
      const same = timingSafeEqual(candidate, entry.sha256);
      found = same && !found ? entry : found;
    }
    if (!found) {
      next(unauthorized('the API key is not valid'));
      return;
    }
    const principal: Principal = { name: found.name, stores: found.stores, role: found.role };
    res.locals[PRINCIPAL] = principal;
    if (principal.role === 'read' && !READ_METHODS.has(req.method)) {
      next(new HttpProblem(403, 'forbidden', 'Forbidden', [{ field: 'Authorization', message: `the API key "${principal.name}" has the role read: it may look up (GET) but not change anything; this needs a key with the role write` }]));
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
