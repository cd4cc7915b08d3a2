/**
 * The two proxies the nemesis puts in the system's wires:
 *
 * - an HTTP-aware **gateway fault proxy** between the workers (and the API) and the simulator. It
 *   decrypts each envelope with the merchant key to see the command (charge, refund, reprint, query)
 *   and applies armed rules to the next matching requests: latency, hang (acted, no answer),
 *   blackhole (never forwarded, no answer), reset, 5xx, a truncated answer, and **late processing**:
 *   the request is held, the client times out, and only then is it forwarded, so the gateway acts
 *   after the client gave up.
 * - a **TCP proxy** between one worker and Redis that can partition it: hold every byte both ways,
 *   then release them in order (a silent partition), or reset and refuse connections. It can also
 *   fire at the worker's next *claim* (the compare-and-set to `sending` that precedes every POST):
 *   SIGSTOP the worker before the claim's answer reaches it, or start holding right after the claim
 *   has reached Redis — the worst instant for a pause or a partition.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { openEnvelope, parseEnvelope } from '../src/domain/codec/index.js';

export type CommandClass = 'charge' | 'refund' | 'reprint' | 'query';
export type GatewayFaultKind = 'latency' | 'hang' | 'blackhole' | 'reset' | 'http5xx' | 'malformed' | 'late';

export interface GatewayRuleInput {
  kind: GatewayFaultKind;
  /** Only this command class; unset: any. */
  cmd?: CommandClass;
  /** Requests this rule strikes. Default 1. */
  count?: number;
  /** latency: delay before forwarding; late: when (after arrival) the request is forwarded. */
  ms?: number;
  /** reset / http5xx: `before` (never forwarded) or `after` (forwarded, the answer lost). */
  when?: 'before' | 'after';
  /** The rule lapses unused after this long (ms). Default 30 000. */
  ttlMs?: number;
  /** Free text for the timeline. */
  label?: string;
  /** A further condition on the decrypted request (e.g. only partial refunds). */
  match?: (request: DecodedRequest) => boolean;
}

export interface GatewayRule extends Required<Omit<GatewayRuleInput, 'cmd' | 'ms' | 'label' | 'match'>> {
  id: number;
  cmd?: CommandClass;
  ms?: number;
  label?: string;
  match?: (request: DecodedRequest) => boolean;
  expiresAt: number;
}

/** What the proxy read from an envelope. */
export interface DecodedRequest {
  cmd: string;
  cls?: CommandClass;
  sig: string;
  device?: string;
  data: Record<string, unknown>;
}

export interface GatewayHit {
  at: number;
  rule: number;
  kind: GatewayFaultKind;
  when?: 'before' | 'after';
  ms?: number;
  cmd: string;
  sig: string;
  device?: string;
  label?: string;
}

export interface LateDelivery {
  rule: number;
  arrivedAt: number;
  forwardedAt?: number;
  cmd: string;
  sig: string;
  device?: string;
  /** The gateway's answer to the late request (nobody else sees it). */
  answer?: { status: number; code?: string; msg?: string };
  label?: string;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>/api/init`: what MYPAY_URL takes. */
  url: string;
  arm(rule: GatewayRuleInput): GatewayRule;
  clear(): void;
  rules(): GatewayRule[];
  hits: GatewayHit[];
  late: LateDelivery[];
  /** Requests per command class seen. */
  seen: Record<string, number>;
  /** Resolves once every held late request has been forwarded (bounded by their `ms`). */
  flushLate(): Promise<void>;
  close(): Promise<void>;
}

type Decoded = DecodedRequest;

const CLASS: Record<string, CommandClass> = {
  'api/postransaction': 'charge',
  'api/posrefund': 'refund',
  'api/posreprintinvoice': 'reprint',
  'api/posreprintsignature': 'reprint',
  'api/querydirect': 'query',
};

/** The signature a request leaves in the gateway's journal (the checker's postSignature). */
export function signatureOf(cmd: string, data: Record<string, unknown>): string {
  if (cmd === 'api/postransaction') return `charge ${String(data.order_id)}`;
  if (cmd === 'api/posrefund') return `refund ${String(data.uid)} ${String(data.cost)}`;
  if (cmd === 'api/querydirect') return `query ${String(data.order_id)}`;
  return `${cmd} ${String(data.uid)}`;
}

function decode(body: string, contentType: string, keys: ReadonlyMap<string, string>): Decoded {
  try {
    const env = parseEnvelope(body, contentType);
    const key = keys.get(env.store_uid);
    if (!key) return { cmd: '?', sig: '?', data: {} };
    const { cmd, data } = openEnvelope(env, key);
    const d = (data ?? {}) as Record<string, unknown>;
    return { cmd, cls: CLASS[cmd], sig: signatureOf(cmd, d), device: typeof d.device_name === 'string' ? d.device_name : undefined, data: d };
  } catch {
    return { cmd: '?', sig: '?', data: {} };
  }
}

const BAD_GATEWAY = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>';

export async function startFaultProxy(targetUrl: string, merchantKeys: ReadonlyMap<string, string>): Promise<FaultProxy> {
  let rules: GatewayRule[] = [];
  let nextId = 1;
  const hits: GatewayHit[] = [];
  const late: LateDelivery[] = [];
  const seen: Record<string, number> = {};
  const held = new Set<Socket>();
  const sockets = new Set<Socket>();
  const pendingLate = new Set<Promise<void>>();
  let closed = false;

  const forward = async (body: string, contentType: string): Promise<{ status: number; type: string; buf: Buffer }> => {
    const up = await fetch(targetUrl, { method: 'POST', headers: { 'content-type': contentType }, body, signal: AbortSignal.timeout(30_000) });
    return { status: up.status, type: up.headers.get('content-type') ?? 'application/octet-stream', buf: Buffer.from(await up.arrayBuffer()) };
  };

  const pick = (d: Decoded): GatewayRule | undefined => {
    const now = Date.now();
    rules = rules.filter((r) => r.count > 0 && r.expiresAt > now);
    const rule = rules.find((r) => (!r.cmd || r.cmd === d.cls) && (!r.match || r.match(d)));
    if (!rule) return undefined;
    rule.count--;
    return rule;
  };

  const hold = (res: ServerResponse) => {
    held.add(res.socket!);
    res.socket!.once('close', () => held.delete(res.socket!));
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const contentType = req.headers['content-type'] ?? '';
    const d = decode(body, contentType, merchantKeys);
    seen[d.cls ?? d.cmd] = (seen[d.cls ?? d.cmd] ?? 0) + 1;
    const rule = closed ? undefined : pick(d);
    const answer = async () => {
      const up = await forward(body, contentType);
      if (!res.destroyed) res.writeHead(up.status, { 'content-type': up.type }).end(up.buf);
    };
    if (!rule) return answer();
    hits.push({ at: Date.now(), rule: rule.id, kind: rule.kind, when: rule.when, ms: rule.ms, cmd: d.cmd, sig: d.sig, device: d.device, label: rule.label });
    switch (rule.kind) {
      case 'latency':
        await new Promise((r) => setTimeout(r, rule.ms ?? 500));
        return answer();
      case 'hang':
        hold(res);
        await forward(body, contentType).catch(() => undefined);
        return;
      case 'blackhole':
        hold(res);
        return;
      case 'reset':
        if (rule.when === 'after') await forward(body, contentType).catch(() => undefined);
        res.socket?.resetAndDestroy();
        return;
      case 'http5xx':
        if (rule.when === 'after') await forward(body, contentType).catch(() => undefined);
        if (!res.destroyed) res.writeHead(502, { 'content-type': 'text/html' }).end(BAD_GATEWAY);
        return;
      case 'malformed': {
        const up = await forward(body, contentType);
        const text = up.buf.toString('utf8');
        if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
        return;
      }
      case 'late': {
        hold(res);
        const entry: LateDelivery = { rule: rule.id, arrivedAt: Date.now(), cmd: d.cmd, sig: d.sig, device: d.device, label: rule.label };
        late.push(entry);
        const p = (async () => {
          await new Promise((r) => setTimeout(r, rule.ms ?? 5_000));
          entry.forwardedAt = Date.now();
          try {
            const up = await forward(body, contentType);
            let parsed: { code?: string; msg?: string } = {};
            try {
              parsed = JSON.parse(up.buf.toString('utf8')) as { code?: string; msg?: string };
            } catch {
              // not JSON
            }
            entry.answer = { status: up.status, code: parsed.code, msg: parsed.msg };
          } catch (err) {
            entry.answer = { status: 0, msg: (err as Error).message };
          }
          res.socket?.destroy();
        })();
        pendingLate.add(p);
        void p.finally(() => pendingLate.delete(p));
        return;
      }
    }
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => res.socket?.destroy());
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/api/init`,
    arm(input) {
      const rule: GatewayRule = {
        id: nextId++,
        kind: input.kind,
        cmd: input.cmd,
        count: input.count ?? 1,
        ms: input.ms,
        when: input.when ?? 'after',
        ttlMs: input.ttlMs ?? 30_000,
        label: input.label,
        match: input.match,
        expiresAt: Date.now() + (input.ttlMs ?? 30_000),
      };
      rules.push(rule);
      return rule;
    },
    clear() {
      rules = [];
    },
    rules: () => rules.filter((r) => r.count > 0 && r.expiresAt > Date.now()).map((r) => ({ ...r })),
    hits,
    late,
    seen,
    async flushLate() {
      while (pendingLate.size > 0) await Promise.allSettled([...pendingLate]);
    },
    async close() {
      closed = true;
      rules = [];
      await Promise.allSettled([...pendingLate]);
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}

// ─── Redis link of one worker ────────────────────────────────────────────────────────────────────

export type LinkMode = 'open' | 'stall' | 'cut';
export type ClaimKind = 'charge' | 'refund' | 'any';

export interface ClaimTrigger {
  kind: ClaimKind;
  /** `pause`: `onFire` runs (SIGSTOP) before the claim is forwarded; `partition`: the link stalls right after it. */
  action: 'pause' | 'partition';
  /** A further condition on the operation id (e.g. only partial refunds). */
  accept?: (opId: string) => boolean;
  onFire(opId: string): void;
}

export interface RedisLinkProxy {
  port: number;
  url: string;
  mode(): LinkMode;
  /** Hold every byte both ways until {@link restore}. */
  stall(): void;
  /** Reset every connection and refuse new ones until {@link restore}. */
  cut(): void;
  /** Back to open: held bytes are delivered in order. */
  restore(): void;
  armClaim(trigger: ClaimTrigger): void;
  disarmClaim(): void;
  armed(): boolean;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/**
 * A claim is the compare-and-set `queued|retry_wait → sending` that precedes every POST: its
 * arguments carry the expected states `queued,retry_wait` as one bulk string (the transition script
 * before the money-safety work, the fenced claim script after it). The operation's key comes first
 * (KEYS before ARGV), so its kind is the last `:op:<kind>.` before the match.
 */
const CLAIM = /\r\nqueued,retry_wait\r\n/g;
const OP_KEY = /:op:(charge|refund|reprint_invoice|reprint_signature)\.([^\r\n]*)/g;

export function findClaims(text: string): { kind: string; opId: string; end: number }[] {
  const out: { kind: string; opId: string; end: number }[] = [];
  for (const m of text.matchAll(CLAIM)) {
    const before = text.slice(Math.max(0, m.index - 600), m.index);
    let last: RegExpMatchArray | null = null;
    for (const k of before.matchAll(OP_KEY)) last = k;
    if (last) out.push({ kind: last[1]!, opId: `${last[1]}.${last[2]}`, end: m.index + m[0].length });
  }
  return out;
}

export async function startRedisLinkProxy(targetPort: number): Promise<RedisLinkProxy> {
  let mode: LinkMode = 'open';
  let accepted = 0;
  let trigger: ClaimTrigger | null = null;
  type Pair = { client: Socket; upstream: Socket; held: [Socket, Buffer][]; carry: string };
  const pairs = new Set<Pair>();

  const server: TcpServer = createTcpServer((client) => {
    if (mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const upstream = connect({ port: targetPort, host: '127.0.0.1' });
    const pair: Pair = { client, upstream, held: [], carry: '' };
    pairs.add(pair);
    const send = (to: Socket, chunk: Buffer) => {
      if (mode === 'stall') pair.held.push([to, chunk]);
      else if (!to.destroyed) to.write(chunk);
    };
    client.on('data', (chunk: Buffer) => {
      if (trigger && mode === 'open') {
        const text = pair.carry + chunk.toString('latin1');
        const claims = findClaims(text);
        // Keep a tail for a claim split across chunks, but never one already looked at.
        pair.carry = text.slice(Math.max(claims.length ? claims[claims.length - 1]!.end : 0, text.length - 700));
        const t0 = trigger;
        const claim = claims.find((c) => (t0.kind === 'any' || t0.kind === c.kind) && (!t0.accept || t0.accept(c.opId)));
        if (claim) {
          const t = trigger;
          trigger = null;
          pair.carry = '';
          if (t.action === 'pause') {
            t.onFire(claim.opId);
            send(upstream, chunk);
          } else {
            send(upstream, chunk);
            mode = 'stall';
            t.onFire(claim.opId);
          }
          return;
        }
      }
      send(upstream, chunk);
    });
    upstream.on('data', (chunk: Buffer) => send(client, chunk));
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    mode: () => mode,
    stall() {
      mode = 'stall';
    },
    cut() {
      mode = 'cut';
      for (const p of [...pairs]) {
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
      pairs.clear();
    },
    restore() {
      mode = 'open';
      for (const p of pairs) for (const [to, chunk] of p.held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    armClaim(t) {
      trigger = t;
    },
    disarmClaim() {
      trigger = null;
    },
    armed: () => trigger !== null,
    accepted: () => accepted,
    async close() {
      mode = 'cut';
      trigger = null;
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
