/**
 * The one line every acting command (`mypay send`, `mypay refunds run`, `mypay retry`) prints to
 * stderr before it acts: which gateway and which store it is about to talk to (and the Redis it
 * writes to, when it does), so an operator never reaches production by accident. URLs are shown
 * without credentials, query or fragment; no key is ever part of it.
 */
/** `scheme://host[:port]/path` of a URL: user, password, query and fragment left out. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/** A Redis URL with its credentials masked (`redis://***@host:port/db`). */
export function shownRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@').replace(/[?#].*$/, '');
}

export function announceTarget(io: { err(text: string): void }, target: { gatewayUrl: string | undefined; stores: readonly string[]; redisUrl?: string }): void {
  const gateway = target.gatewayUrl === undefined ? 'not set (MYPAY_URL)' : shownUrl(target.gatewayUrl);
  const stores = target.stores.length ? target.stores.join(', ') : '(none)';
  const redis = target.redisUrl === undefined ? '' : ` · redis ${shownRedisUrl(target.redisUrl)}`;
  io.err(`→ gateway ${gateway} · ${target.stores.length > 1 ? 'stores' : 'store'} ${stores}${redis}`);
}
