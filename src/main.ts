/**
 * Process entry: `npm start` (role all), `npm run api` (--role api), `npm run worker` (--role worker).
 * Prints where everything is, then runs until SIGINT/SIGTERM and shuts down gracefully (running jobs
 * finish; an operation cut off mid-POST is recovered as `unknown` by any worker later).
 */
import { ConfigError, createLogger, loadEnv } from './config/index.js';
import { banner } from './launch/banner.js';
import { startSystem, type Role } from './launch/system.js';
import { SettingsError } from './queues/settings.js';

const ROLES: readonly Role[] = ['all', 'api', 'worker'];

function parseRole(argv: readonly string[]): Role {
  const i = argv.indexOf('--role');
  const role = i >= 0 ? argv[i + 1] : 'all';
  if (!ROLES.includes(role as Role)) throw new ConfigError(`--role must be one of ${ROLES.join(', ')}`);
  return role as Role;
}

async function main(): Promise<void> {
  const role = parseRole(process.argv.slice(2));
  const env = loadEnv();
  const logger = createLogger(env.LOG_LEVEL);
  const sys = await startSystem(role, env, logger);
  process.stdout.write(`${banner(sys)}\n`);
  logger.info({ role, urls: sys.urls, demo: sys.demo }, 'started');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing running jobs');
    sys.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`configuration error: ${err.message}`);
  else if (err instanceof SettingsError) console.error(err.problems.map((p) => `configuration error: ${p}`).join('\n'));
  else console.error(err);
  process.exit(1);
});
