/** Builds client options from the parsed environment (src/config), so every process configures the gateway alike. */
import { readFileSync } from 'node:fs';
import type { Env } from '../config/config.js';
import type { GatewayClientOptions } from './client.js';
import { GatewayConfigError } from './errors.js';

/**
 * `MYPAY_URL`, `MYPAY_ALLOWED_HOSTS`, `MYPAY_CONNECT_TIMEOUT_MS`, `MYPAY_ANSWER_TIMEOUT_MS`,
 * `MYPAY_CA_FILE`. `MYPAY_URL` is required: no default gateway, never a simulator by accident (demo
 * mode names its bundled simulator here itself, src/launch/simulator.ts).
 */
export function gatewayOptionsFromEnv(env: Env): GatewayClientOptions {
  let ca: Buffer | undefined;
  if (env.MYPAY_CA_FILE) {
    try {
      ca = readFileSync(env.MYPAY_CA_FILE);
    } catch (err) {
      throw new GatewayConfigError(`MYPAY_CA_FILE: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (env.MYPAY_URL === undefined) throw new GatewayConfigError('MYPAY_URL is not set: set it to the gateway (e.g. https://ka.mypay.tw/api/init)');
  return {
    url: env.MYPAY_URL,
    allowedHosts: env.MYPAY_ALLOWED_HOSTS,
    connectTimeoutMs: env.MYPAY_CONNECT_TIMEOUT_MS,
    answerTimeoutMs: env.MYPAY_ANSWER_TIMEOUT_MS,
    ...(ca ? { ca } : {}),
  };
}
