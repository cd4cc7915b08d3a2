/**
 * The MYPAY LINK gateway client: one keep-alive undici `Pool` per gateway origin, TLS ≥ 1.2 with
 * certificate verification, host allow-list checked at construction, and one POST per `send` — never
 * a retry: whether a failed operation may be resent is the worker's decision, made from the error's
 * `kind` (see errors.ts).
 */
import { rootCertificates } from 'node:tls';
import { Pool } from 'undici';
import type { Logger } from 'pino';
import { encodeEnvelope, envelopeToForm, KeyLengthError, type Command } from '../domain/codec/index.js';
import { parseAnswer } from './parse-answer.js';
import type { GatewayAnswer } from './answer.js';
import { classifyHttpStatus, classifyTransportFailure } from './classify.js';
import { GatewayConfigError, GatewayNotDeliveredError, isGatewayError } from './errors.js';
import { postOnce } from './post.js';
import type { QueryCap } from './query-cap.js';
import { checkGatewayUrl } from './url-policy.js';

export interface GatewayClientOptions {
  /** Full endpoint, e.g. `https://pay.usecase.cc/api/init`. */
  url: string;
  /** Hosts allowed besides the spec's two (`pay.usecase.cc`, `ka.mypay.tw`). Default none. */
  allowedHosts?: readonly string[];
  /** TCP + TLS handshake limit. Default 5 000 ms. */
  connectTimeoutMs?: number;
  /** Limit for the whole answer (headers and body) once the request is being written. Default 15 000 ms. */
  answerTimeoutMs?: number;
  /** Extra CA (PEM) trusted on top of Node's bundled roots, e.g. the simulator's self-signed cert. */
  ca?: string | Buffer;
  /** Request body encoding: `form` (the PHP/Python/Java/C# samples) or `json` (the JS sample). Default `form`. */
  bodyFormat?: 'form' | 'json';
  /** Keep-alive connections to the gateway. Default 50. */
  connections?: number;
  /** Largest answer accepted. Default 4 MiB (querydirect rows carry invoices). */
  maxAnswerBytes?: number;
  /** Receives one line per send: command, store, outcome, latency. Never keys or payloads. */
  logger?: Logger;
  /**
   * The per-store cap on `api/querydirect` (query-cap.ts): every query takes a slot first; without one
   * it is not sent (`GatewayNotDeliveredError`, reason `query_cap`). Other commands never wait for it.
   * Default none.
   */
  queryCap?: QueryCap;
}

export interface StoreRef {
  store_uid: string;
  key: string;
}

export interface SendOptions {
  /**
   * `performance.now()` time by which the first byte must leave, or nothing is sent (rejects with
   * `GatewayNotDeliveredError`, reason `queue_timeout`): a fenced claim's budget.
   */
  writeBy?: number;
}

export interface GatewayClient {
  /** Sends one command. Resolves with a B200 answer; rejects with exactly one gateway error class. */
  send<C extends Command>(store: StoreRef, cmd: C, data: unknown, options?: SendOptions): Promise<GatewayAnswer<C>>;
  /** Waits for in-flight sends, then closes every connection. */
  close(): Promise<void>;
}

export const GATEWAY_DEFAULTS = {
  connectTimeoutMs: 5_000,
  answerTimeoutMs: 15_000,
  bodyFormat: 'form',
  connections: 50,
  maxAnswerBytes: 4 * 1024 * 1024,
  /** Idle keep-alive sockets are dropped after this, under common server idle limits, to narrow the
   * window in which a POST is written to a socket the server is closing (that POST would be
   * outcome-unknown). */
  keepAliveTimeoutMs: 4_000,
} as const;

const positive = (name: string, value: number): number => {
  if (!Number.isFinite(value) || value <= 0) throw new GatewayConfigError(`${name} must be a positive number, got ${value}`);
  return value;
};

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  const target = checkGatewayUrl(options.url, options.allowedHosts);
  const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs ?? GATEWAY_DEFAULTS.connectTimeoutMs);
  const answerTimeoutMs = positive('answerTimeoutMs', options.answerTimeoutMs ?? GATEWAY_DEFAULTS.answerTimeoutMs);
  const connections = positive('connections', options.connections ?? GATEWAY_DEFAULTS.connections);
  const maxAnswerBytes = positive('maxAnswerBytes', options.maxAnswerBytes ?? GATEWAY_DEFAULTS.maxAnswerBytes);
  const bodyFormat = options.bodyFormat ?? GATEWAY_DEFAULTS.bodyFormat;
  if (bodyFormat !== 'form' && bodyFormat !== 'json') throw new GatewayConfigError(`bodyFormat must be form or json`);
  const { url, host } = target;
  const log = options.logger?.child({ component: 'gateway', host });

  const pool = new Pool(url.origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: GATEWAY_DEFAULTS.keepAliveTimeoutMs,
    headersTimeout: answerTimeoutMs,
    bodyTimeout: answerTimeoutMs,
    connect: {
      timeout: connectTimeoutMs,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      // `ca` replaces Node's roots; keep them so the real gateway still verifies alongside the extra CA.
      ...(options.ca ? { ca: [...rootCertificates, options.ca.toString()] } : {}),
    },
  });

  const path = `${url.pathname}${url.search}`;
  const contentType = bodyFormat === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';

  const { queryCap } = options;

  /** A status query held back by the cap: nothing is sent, and the caller's "ask again later" applies. */
  async function takeQuerySlot(store: StoreRef, cmd: Command): Promise<void> {
    if (cmd !== 'api/querydirect' || !queryCap || (await queryCap.take(store.store_uid))) return;
    const detail = `store ${store.store_uid} is at its cap of ${queryCap.perSecond} queries per second (GATEWAY_QUERIES_PER_SECOND): no slot within ${queryCap.maxWaitMs} ms`;
    throw new GatewayNotDeliveredError(cmd, 'query_cap', host, { detail });
  }

  function encodeBody(store: StoreRef, cmd: Command, data: unknown): string {
    let envelope;
    try {
      envelope = encodeEnvelope(store.store_uid, store.key, cmd, data);
    } catch (err) {
      if (err instanceof KeyLengthError) throw new GatewayConfigError(`store ${store.store_uid}: ${err.message}`);
      throw err;
    }
    return bodyFormat === 'json' ? JSON.stringify(envelope) : envelopeToForm(envelope);
  }

  async function send<C extends Command>(store: StoreRef, cmd: C, data: unknown, options: SendOptions = {}): Promise<GatewayAnswer<C>> {
    const startedAt = performance.now();
    try {
      const body = encodeBody(store, cmd, data);
      // Right before the request: the slot is taken as close to the query's departure as it can be.
      await takeQuerySlot(store, cmd);
      const sentAt = performance.now();
      let raw;
      try {
        raw = await postOnce(
          pool,
          { origin: url.origin, path, headers: { 'content-type': contentType, accept: 'application/json' }, body },
          { queueTimeoutMs: connectTimeoutMs + answerTimeoutMs, answerTimeoutMs, maxAnswerBytes, writeBy: options.writeBy },
        );
      } catch (err) {
        throw classifyTransportFailure(cmd, host, err);
      }
      const statusError = classifyHttpStatus(cmd, host, raw.status);
      if (statusError) throw statusError;
      const answer = parseAnswer(cmd, host, raw);
      const latencyMs = Math.round(performance.now() - sentAt);
      log?.debug({ cmd, store: store.store_uid, code: answer.code, latencyMs }, 'gateway answered');
      return { ...answer, latencyMs } as GatewayAnswer<C>;
    } catch (err) {
      if (isGatewayError(err)) {
        const reason = 'reason' in err ? err.reason : undefined;
        log?.warn({ cmd, store: store.store_uid, kind: err.kind, reason, latencyMs: Math.round(performance.now() - startedAt) }, err.message);
      }
      throw err;
    }
  }

  return {
    send,
    close: () => pool.close(),
  };
}
