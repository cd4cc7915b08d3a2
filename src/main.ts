/**
 * Process entry: `npm start` (role all), `npm run api` (--role api), `npm run worker` (--role worker);
 * compiled: `node dist/main.js [--role …]`. Prints where everything is, then runs until SIGINT/SIGTERM
 * and shuts down gracefully (running jobs finish; an operation cut off mid-POST is recovered as
 * `unknown` by any worker later). A refused configuration prints one line per variable and exits 1.
 */
import { Command, Option } from 'commander';
import { ConfigError, createLogger, loadEnv } from './config/index.js';
import { MypayError } from './domain/errors.js';
import { ROLES, resolveDemoMode, type Role } from './launch/mode.js';
import { SettingsError } from './queues/settings.js';

function parseRole(argv: readonly string[]): Role {
  const program = new Command('mypay-orchestrator')
    .description('MYPAY LINK terminal orchestrator: API, dashboard and workers')
    .addOption(new Option('--role <role>', 'what this process runs').choices(ROLES).default('all'))
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text.startsWith('error:') ? `configuration error: ${text.slice('error: '.length)}` : text) })
    .parse(argv, { from: 'user' });
  return program.opts<{ role: Role }>().role;
}

async function main(): Promise<void> {
  const role = parseRole(process.argv.slice(2));
  const env = loadEnv();
  // Refuse a start that would fake payments before loading anything else (startSystem asks again).
  resolveDemoMode(role, env);
  const { startSystem } = await import('./launch/system.js');
  const { banner } = await import('./launch/banner.js');
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
  // `on`, not `once`: a second signal (tsx forwards SIGTERM again when the child does not answer at
  // once) must find the handler still there, or Node's default kills the process mid-shutdown.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  if (err instanceof ConfigError) console.error(err.lines.map((line) => `configuration error: ${line}`).join('\n'));
  else if (err instanceof SettingsError) console.error(err.problems.map((p) => `configuration error: ${p}`).join('\n'));
  // Not retryable at start-up (a gateway URL off the allow-list, an unreadable CA file, a merchant
  // key of the wrong length): the same settings fail the same way, so one line, no stack.
  else if (err instanceof MypayError && !err.retryable) console.error(`configuration error: ${err.message}`);
  else if (typeof code === 'string' && code.startsWith('commander.')) {
    // commander printed the usage error already (help and version exit 0).
    process.exit(code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : 1);
  } else {
    // Anything else at start-up (Redis unreachable, …): one line; the stack only when asked for.
    const message = err instanceof Error ? err.message : String(err);
    console.error(`start-up failed: ${message}${process.env.LOG_LEVEL === 'debug' ? `\n${(err as Error).stack ?? ''}` : ' (LOG_LEVEL=debug shows the stack)'}`);
  }
  process.exit(1);
});
