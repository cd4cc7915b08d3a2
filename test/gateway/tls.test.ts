/**
 * TLS policy against real node:https servers with a self-signed certificate made by `openssl`:
 * TLS ≥ 1.2 enforced, the certificate verified, an extra CA trusted only when configured.
 */
import { once } from 'node:events';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEnvelope, parseEnvelope } from '../../src/domain/codec/index.js';
import { createGatewayClient, GatewayNotDeliveredError } from '../../src/gateway/index.js';
import { answerJson, startServer, type TestServer } from '../support/gateway-server.js';
import { makeSelfSignedCert, type SelfSigned } from '../support/tls.js';
import { CHARGE, rejectionOf, STORE } from './helpers.js';

let cert: SelfSigned;
beforeAll(() => {
  cert = makeSelfSignedCert();
});
afterAll(() => cert.cleanup());

/** Completes a handshake with a plain Node TLS client that allows old versions; returns the protocol. */
async function legacyHandshake(port: number, ca: Buffer): Promise<string | null> {
  const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' });
  try {
    await once(socket, 'secureConnect');
    return socket.getProtocol();
  } finally {
    socket.destroy();
  }
}

describe('gateway client over TLS', () => {
  it('a valid B200 over HTTPS with the self-signed CA configured → ok (TLS ≥ 1.2 negotiated)', async () => {
    const server = await startServer(answerJson({ code: 'B200', msg: '執行成功。' }), { key: cert.key, cert: cert.cert });
    const client = createGatewayClient({ url: server.url, allowedHosts: ['127.0.0.1'], ca: cert.cert });
    try {
      const answer = await client.send(STORE, 'api/postransaction', CHARGE);
      expect(answer).toMatchObject({ code: 'B200', msg: '執行成功。' });
      const [req] = server.requests;
      expect(openEnvelope(parseEnvelope(req!.body, req!.contentType), STORE.key)).toEqual({ cmd: 'api/postransaction', data: CHARGE });
      expect(await legacyHandshake(server.port, cert.cert)).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('the same server without the CA configured → NotDelivered tls (certificate verification is on)', async () => {
    const server = await startServer(answerJson({ code: 'B200', msg: 'ok' }), { key: cert.key, cert: cert.cert });
    const client = createGatewayClient({ url: server.url, allowedHosts: ['127.0.0.1'] });
    try {
      const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
      expect(err).toBeInstanceOf(GatewayNotDeliveredError);
      expect(err).toMatchObject({ reason: 'tls', retryable: true });
      expect(server.requests).toHaveLength(0);
    } finally {
      await client.close();
      await server.close();
    }
  });

  describe('a TLS 1.1-only server', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(answerJson({ code: 'B200', msg: 'ok' }), {
        key: cert.key,
        cert: cert.cert,
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        // OpenSSL 3 only offers TLS < 1.2 at security level 0.
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
    });
    afterAll(() => server.close());

    it('is a working TLS 1.1 server: a Node client that allows 1.1 completes the handshake', async () => {
      expect(await legacyHandshake(server.port, cert.cert)).toBe('TLSv1.1');
    });

    it('is refused by our client (same CA, only the version differs) → NotDelivered tls, no request seen', async () => {
      const client = createGatewayClient({ url: server.url, allowedHosts: ['127.0.0.1'], ca: cert.cert });
      try {
        const err = await rejectionOf(() => client.send(STORE, 'api/postransaction', CHARGE));
        expect(err).toBeInstanceOf(GatewayNotDeliveredError);
        expect(err).toMatchObject({ kind: 'not_delivered', reason: 'tls', retryable: true });
        // The failure is the protocol version, not the certificate or anything else.
        expect(String((err.cause as { code?: string }).code)).toMatch(/PROTOCOL|VERSION/);
        expect(server.requests).toHaveLength(0);
      } finally {
        await client.close();
      }
    });
  });
});
