/**
 * `npm run demo`: the whole system (as `npm start`) with the traffic generator on, so the dashboard
 * fills at once. With `DEMO_API_URL` (and `API_KEYS`) it only sends traffic to an API already running.
 */
import { ConfigError, createLogger, loadEnv, loadStores } from '../config/index.js';
import { banner } from '../launch/banner.js';
import { startSystem } from '../launch/system.js';
import { deviceNames } from '../simulator/index.js';
import { startTraffic } from './traffic.js';

async function main(): Promise<void> {
  const env = loadEnv();
  const logger = createLogger(env.LOG_LEVEL);
  let stop: () => Promise<void>;
  if (env.DEMO_API_URL) {
    const apiKey = env.API_KEYS[0];
    if (!apiKey) throw new ConfigError('DEMO_API_URL needs API_KEYS (the key to send with)');
    const traffic = startTraffic({
      apiUrl: env.DEMO_API_URL,
      apiKey,
      storeUid: loadStores(env)[0]!.store_uid,
      devices: deviceNames(env.SIM_DEVICES),
      ratePerSecond: env.DEMO_RATE,
      simOrigin: env.MYPAY_URL ? undefined : `http://127.0.0.1:${env.SIM_PORT}`,
      logger,
    });
    logger.info({ api: env.DEMO_API_URL, rate: env.DEMO_RATE }, 'demo traffic started');
    stop = () => traffic.stop();
  } else {
    const sys = await startSystem('all', { ...env, DEMO: '1' }, logger);
    process.stdout.write(`${banner(sys)}\n`);
    stop = () => sys.close();
  }
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    void stop().then(() => process.exit(0), () => process.exit(1));
  };
  // `on`: a repeated signal must not fall through to Node's default (an instant kill).
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.lines.map((line) => `configuration error: ${line}`).join('\n') : err);
  process.exit(1);
});
