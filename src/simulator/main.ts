/** `npm run simulator`: the MYPAY LINK simulator as a process, configured by SIM_* (docs/SIMULATOR.md). */
import { ConfigError, createLogger, loadEnv, loadStores, type Env } from '../config/index.js';
import { createSimulator } from './simulator.js';
import { DEFAULT_STORES, type SimStore } from './stores.js';

async function main(): Promise<void> {
  const env = loadEnv();
  const log = createLogger(env.LOG_LEVEL);
  const serviceMs = env.SIM_SERVICE_JITTER_MS > 0 ? { minMs: env.SIM_SERVICE_MS, maxMs: env.SIM_SERVICE_MS + env.SIM_SERVICE_JITTER_MS } : env.SIM_SERVICE_MS;
  const stores = merchants(env);
  const sim = await createSimulator({
    port: env.SIM_PORT,
    host: env.SIM_HOST,
    tls: env.SIM_TLS === '1',
    caFile: env.SIM_CA_FILE,
    devices: env.SIM_DEVICES,
    serviceMs,
    printMs: env.SIM_PRINT_MS,
    followUpMs: env.SIM_FOLLOW_UP_MS,
    journalSize: env.SIM_JOURNAL_SIZE,
    duplicateOrders: env.SIM_DUPLICATE_ORDERS,
    callbackUrl: env.SIM_CALLBACK_URL,
    stores,
  });
  const terminals = sim.engine.fleet.states();
  log.info(
    { url: sim.url, caFile: sim.caPath, stores: Object.keys(terminals), devices: Object.keys(Object.values(terminals)[0] ?? {}).length, serviceMs },
    `MYPAY LINK simulator listening on ${sim.url}${sim.caPath ? ` (trust ${sim.caPath}, or GET ${sim.origin}/_sim/ca.pem)` : ''}`,
  );
  const stop = (signal: string) => {
    log.info({ signal }, 'simulator stopping');
    sim.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

/** The configured merchants (so `npm start` and the simulator agree) plus the spec's test merchant. */
function merchants(env: Env): SimStore[] {
  let configured: SimStore[] = [];
  try {
    configured = loadStores(env).map((s) => ({ store_uid: s.store_uid, key: s.key }));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
  }
  const all = [...configured, ...DEFAULT_STORES];
  return all.filter((s, i) => all.findIndex((o) => o.store_uid === s.store_uid) === i);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.lines.map((line) => `configuration error: ${line}`).join('\n') : err);
  process.exit(1);
});
