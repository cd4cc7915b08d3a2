/**
 * CSRF defence of the console's POST forms. HTTP Basic credentials are sent by the browser with any
 * request to the origin, a cross-site form post included, so a state-changing POST needs two proofs
 * that the console itself sent it:
 *
 * 1. Same origin: `Origin` (every current browser sends it with a POST) names this host, or, when
 *    it is absent, `Referer` does (`Referrer-Policy: same-origin` on console pages keeps it for us
 *    and away from anyone else). `Sec-Fetch-Site`, when sent, must not be `cross-site`/`same-site`.
 *    The host is compared, not the scheme: behind a TLS-terminating proxy the request arrives as
 *    http while the browser says https.
 * 2. A form token: HMAC-SHA256 of the action and the operation id, keyed by the dashboard
 *    credentials (the same in every API process, never known to another site), in a hidden field.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Request } from 'express';
import { constantTimeEqual, type BasicCredentials } from '../auth.js';

function hostOf(value: string, withScheme: boolean): string | null {
  try {
    return new URL(withScheme ? value : `http://${value}`).host.toLowerCase();
  } catch {
    return null;
  }
}

/** Why the request is not provably same-origin, or null when it is. */
export function crossOriginReason(req: Request): string | null {
  const host = req.get('host');
  const own = host ? hostOf(host, false) : null;
  if (!own) return 'the request has no Host header';
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return `the browser says the form came from another site (Sec-Fetch-Site: ${site})`;
  const origin = req.get('origin');
  if (origin && origin !== 'null') return hostOf(origin, true) === own ? null : 'the Origin header names another site';
  const referer = req.get('referer');
  if (referer) return hostOf(referer, true) === own ? null : 'the Referer header names another site';
  return 'neither Origin nor Referer says where the form came from';
}

export interface FormTokens {
  token(action: string, subject: string): string;
  check(action: string, subject: string, candidate: unknown): boolean;
}

export function formTokens(creds: BasicCredentials): FormTokens {
  const key = createHash('sha256').update(`mypay-console-csrf\0${creds.user}\0${creds.password}`, 'utf8').digest();
  const token = (action: string, subject: string) => createHmac('sha256', key).update(`${action}\0${subject}`, 'utf8').digest('base64url');
  return {
    token,
    check: (action, subject, candidate) => typeof candidate === 'string' && constantTimeEqual(candidate, token(action, subject)),
  };
}
