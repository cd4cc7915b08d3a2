/**
 * The webhook HTTP sender: one undici Agent (a keep-alive pool per endpoint origin), TLS ≥ 1.2 with
 * certificate verification (the gateway client's discipline, gateway/client.ts), no redirects, one
 * time limit per request from connect to the end of the answer. Signs per Standard Webhooks:
 * `webhook-id` (the event id: the same for every attempt and duplicate), `webhook-timestamp` (this
 * attempt, seconds) and `webhook-signature` (`v1,<base64>` per secret, space-separated).
 */
import { rootCertificates } from 'node:tls';
import { Agent, request } from 'undici';
import type { WebhookEndpoint } from './endpoints.js';

export type SendResult =
  | { ok: true; status: number; ms: number }
  | { ok: false; status?: number; ms: number; error: string; timeout: boolean };

export interface WebhookSender {
  send(ep: WebhookEndpoint, msgId: string, body: string): Promise<SendResult>;
  close(): Promise<void>;
}

/** Largest part of an answer read (and discarded): the body does not matter, only the status. */
const MAX_ANSWER_BYTES = 64 * 1024;

export function createWebhookSender(o: { timeoutMs: number; connections: number; ca?: Buffer; userAgent?: string }): WebhookSender {
  const agent = new Agent({
    connections: o.connections,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    headersTimeout: o.timeoutMs,
    bodyTimeout: o.timeoutMs,
    connect: {
      timeout: o.timeoutMs,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      ...(o.ca ? { ca: [...rootCertificates, o.ca.toString()] } : {}),
    },
  });
  const userAgent = o.userAgent ?? 'mypay-orchestrator-webhooks/1';

  async function send(ep: WebhookEndpoint, msgId: string, body: string): Promise<SendResult> {
    const started = performance.now();
    const ms = () => Math.round(performance.now() - started);
    const at = new Date();
    const headers = {
      'content-type': 'application/json',
      'user-agent': userAgent,
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': ep.sign(msgId, at, body),
    };
    const signal = AbortSignal.timeout(o.timeoutMs);
    try {
      const res = await request(ep.url, { method: 'POST', headers, body, dispatcher: agent, signal });
      await res.body.dump({ limit: MAX_ANSWER_BYTES }).catch(() => undefined);
      if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, status: res.statusCode, ms: ms() };
      return { ok: false, status: res.statusCode, ms: ms(), error: `HTTP ${res.statusCode}`, timeout: false };
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
      const timeout = signal.aborted || /Timeout/i.test(e.name ?? '') || /TIMEOUT/.test(e.code ?? '');
      if (timeout) return { ok: false, ms: ms(), error: `no answer within ${o.timeoutMs} ms`, timeout: true };
      const code = e.cause?.code ?? e.code;
      return { ok: false, ms: ms(), error: code ? `${code}` : (e.cause?.message ?? e.message ?? 'request failed'), timeout: false };
    }
  }

  return { send, close: () => agent.close() };
}
