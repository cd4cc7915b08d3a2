/** Builds client options from the parsed environment (src/config), so every process configures the gateway alike. */
import { readFileSync } from 'node:fs';
import type { Env } from '../config/config.js';
import type { GatewayClientOptions } from './client.js';
import { GatewayConfigError } from './errors.js';

/**
 * `MYPAY_URL`, `MYPAY_ALLOWED_HOSTS`, `MYPAY_CONNECT_TIMEOUT_MS`, `MYPAY_ANSWER_TIMEOUT_MS`,
 * `MYPAY_CA_FILE`. Without `MYPAY_URL` the bundled simulator on 127.0.0.1:`SIM_PORT` is the gateway
 * (DESIGN.md §4: embedded defaults), https when `SIM_TLS=1`.
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
  const simulator = env.MYPAY_URL === undefined;
  const url = env.MYPAY_URL ?? `${env.SIM_TLS === '1' ? 'https' : 'http'}://127.0.0.1:${env.SIM_PORT}/api/init`;
  return {
    url,
    allowedHosts: simulator ? [...env.MYPAY_ALLOWED_HOSTS, '127.0.0.1'] : env.MYPAY_ALLOWED_HOSTS,
    connectTimeoutMs: env.MYPAY_CONNECT_TIMEOUT_MS,
    answerTimeoutMs: env.MYPAY_ANSWER_TIMEOUT_MS,
    ...(ca ? { ca } : {}),
  };
}
