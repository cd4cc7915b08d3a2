/**
 * Which gateway URLs the client will talk to (docs/OPERATIONS.md › 5. TLS and the gateway allow-list): the spec's two hosts plus configured
 * extras, HTTPS only, except plain HTTP to a loopback host (the local simulator). Checked at
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

const bare = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();

export function checkGatewayUrl(raw: string, allowedHosts: readonly string[] = []): GatewayTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new GatewayConfigError('gateway URL is not a valid URL');
  }
  if (url.username || url.password) throw new GatewayConfigError('gateway URL must not carry credentials');
  const host = bare(url.hostname);
  const allowed = new Set([...SPEC_GATEWAY_HOSTS, ...allowedHosts].map((h) => bare(h.trim())));
  if (!allowed.has(host)) {
    throw new GatewayConfigError(`gateway host ${host} is not allow-listed (allowed: ${[...allowed].join(', ')}; extend with MYPAY_ALLOWED_HOSTS)`);
  }
  if (url.protocol === 'https:') return { url, host, secure: true };
  if (url.protocol === 'http:') {
    if (LOOPBACK.has(host)) return { url, host, secure: false };
    throw new GatewayConfigError(`plain http is only allowed to a loopback host, not ${host}: use https`);
  }
  throw new GatewayConfigError(`gateway URL scheme ${url.protocol} is not supported: use https`);
}
