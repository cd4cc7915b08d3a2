/**
 * API keys and dashboard credentials. Without them the process refuses to start — except in demo
 * mode (no `MYPAY_URL`: the bundled simulator is the gateway), where fresh ones are generated and
 * printed, so `npm start` works out of the box without ever exposing an open dashboard.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, type Env } from '../config/config.js';

export interface Credentials {
  apiKeys: string[];
  admin: { user: string; password: string };
  /** What was generated for this run (to print once). */
  generated: { apiKey?: string; admin?: boolean };
}

export const DEMO_ADMIN_USER = 'admin';

const token = (bytes: number) => randomBytes(bytes).toString('base64url');

export function resolveCredentials(env: Env, demo: boolean): Credentials {
  const generated: Credentials['generated'] = {};
  let apiKeys = env.API_KEYS;
  if (apiKeys.length === 0) {
    if (!demo) throw new ConfigError('API_KEYS is required (comma-separated Bearer keys) when MYPAY_URL is set');
    generated.apiKey = `demo_${token(24)}`;
    apiKeys = [generated.apiKey];
  }
  let admin: Credentials['admin'];
  if (env.ADMIN_USER && env.ADMIN_PASSWORD) {
    admin = { user: env.ADMIN_USER, password: env.ADMIN_PASSWORD };
  } else if (env.ADMIN_USER || env.ADMIN_PASSWORD) {
    throw new ConfigError('ADMIN_USER and ADMIN_PASSWORD must be set together');
  } else {
    if (!demo) throw new ConfigError('ADMIN_USER and ADMIN_PASSWORD are required for the dashboard when MYPAY_URL is set');
    admin = { user: DEMO_ADMIN_USER, password: token(18) };
    generated.admin = true;
  }
  return { apiKeys, admin, generated };
}
