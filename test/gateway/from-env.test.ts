import { describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/config.js';
import { createGatewayClient, GatewayConfigError, gatewayOptionsFromEnv } from '../../src/gateway/index.js';
import { makeSelfSignedCert } from '../support/tls.js';

describe('gatewayOptionsFromEnv', () => {
  it('maps the MYPAY_* settings', () => {
    const cert = makeSelfSignedCert();
    try {
      const options = gatewayOptionsFromEnv(
        loadEnv({
          MYPAY_URL: 'https://gw.internal/api/init',
          MYPAY_ALLOWED_HOSTS: 'gw.internal, other.internal',
          MYPAY_CONNECT_TIMEOUT_MS: '1234',
          MYPAY_ANSWER_TIMEOUT_MS: '5678',
          MYPAY_CA_FILE: cert.certFile,
        }),
      );
      expect(options).toMatchObject({
        url: 'https://gw.internal/api/init',
        allowedHosts: ['gw.internal', 'other.internal'],
        connectTimeoutMs: 1234,
        answerTimeoutMs: 5678,
      });
      expect(options.ca?.toString()).toContain('BEGIN CERTIFICATE');
    } finally {
      cert.cleanup();
    }
  });

  it('never defaults to a simulator: without MYPAY_URL it refuses, naming what to set (issue #16)', () => {
    expect(() => gatewayOptionsFromEnv(loadEnv({ SIM_PORT: '4999' }))).toThrow(GatewayConfigError);
    expect(() => gatewayOptionsFromEnv(loadEnv({}))).toThrow(/MYPAY_URL is not set: set it to the gateway/);
  });

  it('a configuration error is final: not retryable, whatever the command', () => {
    const err = (() => {
      try {
        gatewayOptionsFromEnv(loadEnv({}));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toMatchObject({ code: 'GATEWAY_CONFIG', kind: 'config', retryable: false, httpStatus: 500 });
  });

  it('a real MYPAY_URL gets no implicit loopback allowance', () => {
    const options = gatewayOptionsFromEnv(loadEnv({ MYPAY_URL: 'http://127.0.0.1:4010/api/init' }));
    expect(() => createGatewayClient(options)).toThrow(GatewayConfigError);
  });

  it('an unreadable MYPAY_CA_FILE is a GatewayConfigError', () => {
    expect(() => gatewayOptionsFromEnv(loadEnv({ MYPAY_CA_FILE: '/nonexistent/ca.pem' }))).toThrow(GatewayConfigError);
  });
});
