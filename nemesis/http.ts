/** A small HTTP client for the API and the simulator's control API, with the nemesis' API key. */
export const API_KEY = 'nemesis-api-key-5d0c2b8e7f1a9346';
export const ADMIN = { user: 'nemesis', password: 'nemesis-admin-password-9c2f' };

export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is (a bad JSON body, a CSV file). */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Default true: `Authorization: Bearer <API_KEY>`. */
  auth?: boolean;
  timeoutMs?: number;
}

/** One request; throws on a network error or timeout (the caller decides whether to retry). */
export async function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (o.auth !== false) headers.authorization = `Bearer ${API_KEY}`;
  if (o.body !== undefined || o.raw !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
  Object.assign(headers, o.headers);
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)),
    signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body, text };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The same request again after a network error, a timeout or a 5xx (the API restarting, Redis down),
 * as a careful client does with an idempotency key, until `budgetMs` has passed. Returns the last
 * answer, or null when none came.
 */
export async function callRetrying(base: () => string, method: string, path: string, o: CallOptions & { budgetMs?: number } = {}): Promise<{ reply: Reply | null; attempts: number }> {
  const deadline = Date.now() + (o.budgetMs ?? 30_000);
  let attempts = 0;
  let reply: Reply | null = null;
  for (;;) {
    attempts++;
    try {
      reply = await call(base(), method, path, o);
      if (reply.status < 500) return { reply, attempts };
    } catch {
      reply = null;
    }
    if (Date.now() + 300 > deadline) return { reply, attempts };
    await sleep(Math.min(2_000, 200 * attempts));
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
