/**
 * Which URLs the service will talk to (docs/OPERATIONS.md › 5. TLS and the gateway allow-list): an
 * allow-listed host, HTTPS only, except plain HTTP to a loopback host (a local simulator or receiver).
 * One rule for the gateway (the spec's two hosts plus `MYPAY_ALLOWED_HOSTS`) and for webhook endpoints
 * (`WEBHOOK_ALLOWED_HOSTS`, workers/notify/endpoints.ts); each says it in its own words. Checked at
 * construction, before any socket exists.
 */
import { SPEC_GATEWAY_HOSTS } from '../config/config.js';
import { GatewayConfigError } from './errors.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export interface GatewayTarget {
  url: URL;
  /** Host without IPv6 brackets, lower case. */
  host: string;
  secure: boolean;
}

/** A host as compared: without IPv6 brackets, lower case. */
export const bareHost = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();

export type UrlVerdict =
  | ({ ok: true } & GatewayTarget)
  | { ok: false; why: 'invalid' }
  | { ok: false; why: 'credentials' }
  | { ok: false; why: 'host'; host: string; allowed: string[] }
  | { ok: false; why: 'plain_http'; host: string }
  | { ok: false; why: 'scheme'; protocol: string };

/** The rule itself: where a URL stands against an allow-list. */
export function judgeUrl(raw: string, allowedHosts: readonly string[]): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, why: 'invalid' };
  }
  if (url.username || url.password) return { ok: false, why: 'credentials' };
  const host = bareHost(url.hostname);
  const allowed = [...new Set(allowedHosts.map((h) => bareHost(h.trim())).filter(Boolean))];
  if (!allowed.includes(host)) return { ok: false, why: 'host', host, allowed };
  if (url.protocol === 'https:') return { ok: true, url, host, secure: true };
  if (url.protocol === 'http:') return LOOPBACK.has(host) ? { ok: true, url, host, secure: false } : { ok: false, why: 'plain_http', host };
  return { ok: false, why: 'scheme', protocol: url.protocol };
}

export function checkGatewayUrl(raw: string, allowedHosts: readonly string[] = []): GatewayTarget {
  const v = judgeUrl(raw, [...SPEC_GATEWAY_HOSTS, ...allowedHosts]);
  if (v.ok) return { url: v.url, host: v.host, secure: v.secure };
  switch (v.why) {
    case 'invalid':
      throw new GatewayConfigError('gateway URL is not a valid URL');
    case 'credentials':
      throw new GatewayConfigError('gateway URL must not carry credentials');
    case 'host':
      throw new GatewayConfigError(`gateway host ${v.host} is not allow-listed (allowed: ${v.allowed.join(', ')}; extend with MYPAY_ALLOWED_HOSTS)`);
    case 'plain_http':
      throw new GatewayConfigError(`plain http is only allowed to a loopback host, not ${v.host}: use https`);
    case 'scheme':
      throw new GatewayConfigError(`gateway URL scheme ${v.protocol} is not supported: use https`);
  }
}
