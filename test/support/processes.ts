/** Spawns real worker processes (`npm run worker`, i.e. `src/main.ts --role worker`) against a test Redis and simulator. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { TEST_MERCHANT } from '../../src/config/config.js';

const require = createRequire(import.meta.url);
/** tsx as a loader of this node process (not the tsx CLI, which runs the script in a grandchild that SIGKILL would miss). */
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

export interface WorkerProcessOptions {
  redisUrl: string;
  prefix: string;
  gatewayUrl: string;
  concurrency?: number;
  env?: Record<string, string>;
}

/** The environment of a worker process: a clean base, so no stray MYPAY_* of the caller leaks in. */
export function workerEnv(o: WorkerProcessOptions): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: o.prefix,
    MYPAY_URL: o.gatewayUrl,
    MYPAY_ALLOWED_HOSTS: '127.0.0.1',
    MYPAY_STORE_UID: TEST_MERCHANT.storeUid,
    MYPAY_STORE_KEY: TEST_MERCHANT.key,
    MYPAY_ANSWER_TIMEOUT_MS: '1000',
    MYPAY_CONNECT_TIMEOUT_MS: '500',
    WORKER_CONCURRENCY: String(o.concurrency ?? 20),
    WORKER_LOCK_MS: '2000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    SWEEP_INTERVAL_MS: '200',
    LEASE_MS: '3000',
    RETRY_DEADLINE_MS: '5000',
    PRINT_COOLDOWN_MS: '5',
    POLL_DENSE_MS: '20',
    // Dense for the whole (compressed) window, no quiet phase; and no cap on queries, which polls 20 ms
    // apart would hit at once.
    POLL_QUIET_MS: '0',
    GATEWAY_QUERIES_PER_SECOND: '0',
    TERMINAL_WINDOW_MS: '300',
    RECONCILE_HORIZON_MS: '30000',
    RECONCILE_MAX_INTERVAL_MS: '200',
    // The fenced claim, scaled like the rest: POST within 1.5 s of the claim or not at all; nobody
    // takes a claimed operation over for 3 s.
    CLAIM_BUDGET_MS: '1500',
    CLAIM_FENCE_MS: '3000',
    JANITOR_INTERVAL_MS: '1000',
    // Test Redis runs without persistence on purpose; the start-up durability report would only warn.
    REDIS_DURABILITY: 'none',
    LOG_LEVEL: 'info',
    // Several workers share a machine: no ops HTTP server each.
    METRICS_PORT: '0',
    ...o.env,
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** SIGKILL: no cleanup, no graceful close. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the graceful exit. */
  stop(): Promise<number | null>;
}

export async function spawnWorker(o: WorkerProcessOptions): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, 'src/main.ts', '--role', 'worker'], { env: workerEnv(o), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Ready when it logs "started".
  const deadline = Date.now() + 20_000;
  while (!out.includes('"msg":"started"')) {
    if (child.exitCode !== null) throw new Error(`worker process exited early: ${out}`);
    if (Date.now() > deadline) throw new Error(`worker process did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => out,
    async kill9() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
