/**
 * Starts a private `redis-server` on a free loopback port. Used by `npm start` when no Redis answers,
 * and by tests that need a server of their own (isolation, persistence, restarts, faults).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalRedisOptions {
  /** Port to listen on; default: a free loopback port. */
  port?: number;
  /** Data directory; default: a fresh temporary directory removed on stop. */
  dir?: string;
  /** Append-only file with fsync every second (docs/OPERATIONS.md › 6. Redis › Persistence). Default false. */
  appendOnly?: boolean;
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  extraArgs?: string[];
}

export interface LocalRedis {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL) and removes a temporary data directory. */
  stop(): Promise<void>;
  /** kill -9, keeping the data directory (for crash tests). */
  kill(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startLocalRedis(options: LocalRedisOptions = {}): Promise<LocalRedis> {
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'mypay-redis-'));
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--maxmemory-policy', 'noeviction',
    // Delayed BullMQ jobs (follow-up polls, backoff) are woken on Redis' timer: hz 100 makes that
    // 10 ms instead of 100 ms (docs/OPERATIONS.md).
    '--hz', '100',
    '--appendonly', options.appendOnly ? 'yes' : 'no', '--appendfsync', options.appendOnly ? 'always' : 'everysec',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  await waitFor(async () => {
    if (spawnError) throw new Error(`cannot start redis-server (is it on PATH?): ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    return portAnswers(port);
  }, 10_000, `redis-server on port ${port}`);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const terminate = async (signal: NodeJS.Signals) => {
    if (exited()) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
    if (!exited()) {
      child.kill('SIGKILL');
      await gone;
    }
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    process: child,
    async stop() {
      await terminate('SIGTERM');
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await terminate('SIGKILL');
    },
  };
}
