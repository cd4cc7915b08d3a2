/**
 * Webhook tests' receiver: a real HTTP server on 127.0.0.1 that verifies EVERY delivery's signature
 * with `standardwebhooks`' `Webhook.verify` — with each configured secret on its own — and records what
 * it got; its answer is scriptable (2xx, 5xx, hang, reset) to play a failing endpoint.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Core } from '../../src/queues/core.js';
import type { MypayEvent } from '../../src/store/events.js';

export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  event: MypayEvent;
  /** Local receive time (ms). */
  at: number;
  status: number;
}

/** What the receiver does with one request: answer a status (now, or after `delayMs`), hang (never answer), or reset the connection. */
export type Behaviour = number | { status: number; delayMs: number } | 'hang' | 'reset';

export interface Receiver {
  url: string;
  /** Every request whose signature verified, in the order they were answered (hanging ones when they arrived). */
  requests: Received[];
  /** Requests answered 2xx. */
  delivered(): Received[];
  /** Signatures that did not verify with one of the secrets, or a webhook-id that is not the body's event id. */
  bad: string[];
  /** Requests in flight (hanging ones included), and the most at once so far. */
  inFlight(): number;
  maxInFlight(): number;
  behave(fn: (r: Received) => Behaviour): void;
  close(): Promise<void>;
}

export async function startReceiver(secrets: readonly string[], behaviour: (r: Received) => Behaviour = () => 200): Promise<Receiver> {
  const verifiers = secrets.map((s) => new Webhook(s));
  const requests: Received[] = [];
  const bad: string[] = [];
  let fn = behaviour;
  let open = 0;
  let most = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    open++;
    most = Math.max(most, open);
    res.on('close', () => open--);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = { 'webhook-id': String(req.headers['webhook-id'] ?? ''), 'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''), 'webhook-signature': String(req.headers['webhook-signature'] ?? '') };
      let event: MypayEvent | undefined;
      for (const [i, w] of verifiers.entries()) {
        try {
          event = w.verify(body, headers) as MypayEvent;
        } catch (err) {
          bad.push(`secret ${i + 1}: ${(err as Error).message} (${headers['webhook-id']})`);
        }
      }
      if (!event || event.id !== headers['webhook-id'] || req.headers['content-type'] !== 'application/json') {
        if (event) bad.push(`webhook-id ${headers['webhook-id']} is not the event id ${event.id}`);
        res.statusCode = 400;
        res.end();
        return;
      }
      const r: Received = { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body, event, at: Date.now(), status: 0 };
      const b = fn(r);
      if (b === 'hang') {
        requests.push(r);
        return;
      }
      if (b === 'reset') {
        requests.push(r);
        req.socket.destroy();
        return;
      }
      const status = typeof b === 'number' ? b : b.status;
      const answer = () => {
        r.status = status;
        r.at = Date.now();
        requests.push(r);
        res.statusCode = status;
        res.end('ok');
      };
      if (typeof b === 'number') answer();
      else setTimeout(answer, b.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    delivered: () => requests.filter((r) => r.status >= 200 && r.status < 300),
    bad,
    inFlight: () => open,
    maxInFlight: () => most,
    behave: (f) => void (fn = f),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls `fn` until it returns a truthy value; throws with `what()` after `timeoutMs`. */
export async function until<T>(fn: () => Promise<T> | T, timeoutMs: number, what: () => string): Promise<Exclude<T, null | undefined | false | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as Exclude<T, null | undefined | false | 0 | ''>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every event stored for `store`, oldest first (what the webhooks must carry), as `{id, type, op}`. */
export async function storedEvents(core: Core, store: string): Promise<{ id: string; type: string; op: string }[]> {
  const rows = (await core.redis.xrange(core.store.keys.events, '-', '+')) as [string, string[]][];
  return rows.flatMap(([sid, f]) => {
    const m: Record<string, string> = {};
    for (let i = 0; i + 1 < f.length; i += 2) m[f[i]!] = f[i + 1]!;
    return m.store === store ? [{ id: `evt_${sid}`, type: m.type!, op: m.op! }] : [];
  });
}

/** First arrival of each webhook-id, in arrival order, grouped by operation: what a receiver saw happen. */
export function firstArrivalsByOp(received: readonly Received[]): Map<string, string[]> {
  const seen = new Set<string>();
  const out = new Map<string, string[]>();
  for (const r of received) {
    if (seen.has(r.id)) continue;
    seen.add(r.id);
    const op = (r.event.data.object as { id?: string }).id ?? '?';
    out.set(op, [...(out.get(op) ?? []), r.id]);
  }
  return out;
}

/** `evt_<ms>-<seq>` in stream order. */
export const byEventId = (a: string, b: string) => {
  const [am, as] = a.slice(4).split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.slice(4).split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? (as < bs ? -1 : as > bs ? 1 : 0) : am < bm ? -1 : 1;
};
