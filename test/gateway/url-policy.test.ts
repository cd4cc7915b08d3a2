import { describe, expect, it } from 'vitest';
import { createGatewayClient, GatewayConfigError } from '../../src/gateway/index.js';
import { startServer } from '../support/gateway-server.js';

const refused = (fn: () => unknown): GatewayConfigError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect((err as GatewayConfigError).kind).toBe('config');
    expect((err as GatewayConfigError).retryable).toBe(false);
    return err as GatewayConfigError;
  }
  throw new Error('expected GatewayConfigError');
};

describe('gateway URL policy (checked at construction)', () => {
  it('accepts the spec hosts over https without extra configuration', async () => {
    for (const url of ['https://pay.usecase.cc/api/init', 'https://ka.mypay.tw/api/init', 'https://KA.MYPAY.TW/api/init']) {
      await createGatewayClient({ url }).close();
    }
  });

  it('refuses a host that is not allow-listed, before any connection', async () => {
    const server = await startServer((_q, res) => res.end('{}'));
    try {
      const err = refused(() => createGatewayClient({ url: server.url, allowedHosts: ['gateway.internal'] }));
      expect(err.message).toMatch(/127\.0\.0\.1 is not allow-listed/);
      expect(server.connections).toBe(0);
      refused(() => createGatewayClient({ url: 'https://pay.usecase.cc.evil.example/api/init' }));
      refused(() => createGatewayClient({ url: 'https://evil.example/api/init', allowedHosts: [] }));
    } finally {
      await server.close();
    }
  });

  it('allows extra hosts from allowedHosts (MYPAY_ALLOWED_HOSTS)', async () => {
    await createGatewayClient({ url: 'https://gateway.internal/api/init', allowedHosts: ['gateway.internal'] }).close();
  });

  it('refuses plain http to a non-loopback host, even an allow-listed one', () => {
    refused(() => createGatewayClient({ url: 'http://pay.usecase.cc/api/init' }));
    refused(() => createGatewayClient({ url: 'http://gateway.internal/api/init', allowedHosts: ['gateway.internal'] }));
    refused(() => createGatewayClient({ url: 'http://10.0.0.5/api/init', allowedHosts: ['10.0.0.5'] }));
  });

  it('allows plain http only to loopback hosts that are allow-listed', async () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
      await createGatewayClient({ url: `http://${host}:4010/api/init`, allowedHosts: [host] }).close();
    }
  });

  it('refuses other schemes, credentials in the URL, bad URLs and non-positive timeouts', () => {
    refused(() => createGatewayClient({ url: 'ftp://pay.usecase.cc/api/init' }));
    refused(() => createGatewayClient({ url: 'https://u:p@pay.usecase.cc/api/init' }));
    refused(() => createGatewayClient({ url: 'not a url' }));
    refused(() => createGatewayClient({ url: 'https://pay.usecase.cc/api/init', connectTimeoutMs: 0 }));
    refused(() => createGatewayClient({ url: 'https://pay.usecase.cc/api/init', answerTimeoutMs: -1 }));
  });
});
