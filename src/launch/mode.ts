/**
 * Which gateway a process talks to, decided once before anything starts. A payments service must
 * never fake payments by accident, so the bundled simulator runs only when asked for:
 * - `MYPAY_URL` set: that gateway (with `MYPAY_MODE=demo` as well: refused, the two contradict);
 * - `--role api` / `--role worker` without `MYPAY_URL`: refused (no role but `npm start` ever runs or
 *   points at a simulator by default);
 * - `npm start` (`--role all`) without `MYPAY_URL`: demo (the bundled simulator, generated
 *   credentials) when `MYPAY_MODE=demo` or `NODE_ENV` is not `production`; refused otherwise.
 * Each refusal is one line naming what to set.
 */
import { ConfigError, type Env } from '../config/config.js';

export type Role = 'all' | 'api' | 'worker';
export const ROLES: readonly Role[] = ['all', 'api', 'worker'];

const GATEWAY_HINT = 'the gateway, e.g. https://ka.mypay.tw/api/init';

/** `true`: demo mode, the bundled simulator is the gateway. Throws {@link ConfigError} when the start is refused. */
export function resolveDemoMode(role: Role, env: Env): boolean {
  if (env.MYPAY_URL !== undefined) {
    if (env.MYPAY_MODE === 'demo') throw new ConfigError('MYPAY_MODE: demo runs the bundled simulator as the gateway; unset MYPAY_URL or MYPAY_MODE');
    return false;
  }
  if (role !== 'all') throw new ConfigError(`MYPAY_URL: required for --role ${role} (${GATEWAY_HINT}); only npm start runs the bundled simulator`);
  if (env.NODE_ENV === 'production' && env.MYPAY_MODE !== 'demo') {
    throw new ConfigError(`MYPAY_URL: required with NODE_ENV=production (${GATEWAY_HINT}); set MYPAY_MODE=demo to run the bundled simulator instead`);
  }
  return true;
}
