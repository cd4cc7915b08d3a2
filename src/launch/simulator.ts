/**
 * Demo mode (`npm start` without `MYPAY_URL`, see mode.ts): the bundled simulator runs in this
 * process on `SIM_PORT` with the `SIM_*` settings (default 10 terminals, 1.5 s per operation), and
 * the environment handed on names it as `MYPAY_URL` (loopback allowed), so the gateway client is
 * built exactly as for a real gateway and no code path defaults to a simulator.
 *
 * Its ledger is kept in `<DEMO_DATA_DIR>/simulator.json` (docs/SIMULATOR.md › State file): the
 * orders survive a restart and a charge or refund in flight when the process stopped goes on to its
 * outcome, as it would at the real gateway.
 */
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { TEST_MERCHANT, type Env, type StoreCredentials } from '../config/config.js';
import { createSimulator, type Simulator } from '../simulator/index.js';
import { DEFAULT_STORES } from '../simulator/stores.js';

export interface BundledSimulator {
  sim: Simulator;
  /** The environment with `MYPAY_URL`, `SIM_PORT` (and `MYPAY_CA_FILE` with TLS) set to what the simulator got. */
  env: Env;
}

/** The bundled simulator's state file under `DEMO_DATA_DIR`. */
export const SIMULATOR_STATE_FILE = 'simulator.json';

export async function startBundledSimulator(env: Env, stores: StoreCredentials[], logger: Logger): Promise<BundledSimulator> {
  const all = [...stores, ...DEFAULT_STORES].filter((s, i, a) => a.findIndex((o) => o.store_uid === s.store_uid) === i);
  const options = {
    host: '127.0.0.1',
    tls: env.SIM_TLS === '1',
    caFile: env.SIM_CA_FILE,
    devices: env.SIM_DEVICES,
    serviceMs: env.SIM_SERVICE_JITTER_MS > 0 ? { minMs: env.SIM_SERVICE_MS, maxMs: env.SIM_SERVICE_MS + env.SIM_SERVICE_JITTER_MS } : env.SIM_SERVICE_MS,
    printMs: env.SIM_PRINT_MS,
    followUpMs: env.SIM_FOLLOW_UP_MS,
    journalSize: env.SIM_JOURNAL_SIZE,
    duplicateOrders: env.SIM_DUPLICATE_ORDERS,
    callbackUrl: env.SIM_CALLBACK_URL,
    stores: all.map((s) => ({ store_uid: s.store_uid, key: s.key })),
    stateFile: join(resolve(env.DEMO_DATA_DIR), SIMULATOR_STATE_FILE),
    onStateError: (err: Error) => logger.warn({ err: err.message }, 'could not save the simulator state; the next change tries again'),
  };
  let sim: Simulator;
  try {
    sim = await createSimulator({ ...options, port: env.SIM_PORT });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    // Another simulator (or anything) holds SIM_PORT: the bundled one needs no fixed port.
    logger.warn({ port: env.SIM_PORT }, 'SIM_PORT is in use; the bundled simulator takes a free port');
    sim = await createSimulator({ ...options, port: 0 });
  }
  const state = sim.state;
  if (state?.problem) logger.warn({ file: state.file }, state.problem);
  else if (state && state.orders > 0) {
    logger.info({ file: state.file, orders: state.orders, resumed: state.resumed }, 'simulator orders restored (charges and refunds in flight go on to their outcome)');
  }
  // No merchant configured: the spec's test merchant, named as if configured (loadStores then reads it).
  const merchant = env.MYPAY_STORES_FILE || env.MYPAY_STORE_UID || env.MYPAY_STORE_KEY ? {} : { MYPAY_STORE_UID: TEST_MERCHANT.storeUid, MYPAY_STORE_KEY: TEST_MERCHANT.key };
  const env1: Env = {
    ...env,
    ...merchant,
    MYPAY_URL: sim.url,
    MYPAY_ALLOWED_HOSTS: [...env.MYPAY_ALLOWED_HOSTS, '127.0.0.1'],
    SIM_PORT: sim.port,
    ...(sim.caPath ? { MYPAY_CA_FILE: sim.caPath } : {}),
  };
  return { sim, env: env1 };
}
