/**
 * Real processes of the system for the reliability suite: the API role (`src/main.ts --role api`,
 * what `npm run api` runs) and any entry point started to watch it fail. Worker processes come from
 * test/support/processes.ts. Output is captured whole, for the secret scans.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { TEST_MERCHANT } from '../../../src/config/config.js';
import { freePort } from '../../../src/redis/local-server.js';
import { sleep } from './report.js';

const require = createRequire(import.meta.url);
/** tsx as a loader of the child itself, so SIGKILL reaches the process that runs our code. */
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

export const API_KEY = 'rel-api-key-3c1f9a0e5b7d2c84';
export const ADMIN = { user: 'ops', password: 'reliability-admin-password' };

export interface NodeProcess {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** `node --import tsx <script> [...args]` with exactly `env` (plus PATH/HOME). */
export function spawnNode(script: string, args: string[], env: Record<string, string>): NodeProcess {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, script, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid ?? 0,
    output: () => out,
    exited,
    alive,
    async kill9() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (alive()) child.kill('SIGTERM');
      const t = setTimeout(() => alive() && child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface ApiProcess extends NodeProcess {
  url: string;
  /** fetch with the Bearer key unless `auth: false`. */
  call(method: string, path: string, body?: unknown, opts?: { auth?: boolean; headers?: Record<string, string>; raw?: string; timeoutMs?: number }): Promise<{ status: number; body: unknown; text: string }>;
}

export interface ApiProcessOptions {
  redisUrl: string;
  prefix: string;
  gatewayUrl: string;
  env?: Record<string, string>;
}

/** `src/main.ts --role api` (= `npm run api`) on a free port; ready when /healthz answers. */
export async function spawnApi(o: ApiProcessOptions): Promise<ApiProcess> {
  const port = await freePort();
  const proc = spawnNode('src/main.ts', ['--role', 'api'], {
    REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: o.prefix,
    MYPAY_URL: o.gatewayUrl,
    MYPAY_ALLOWED_HOSTS: '127.0.0.1',
    MYPAY_STORE_UID: TEST_MERCHANT.storeUid,
    MYPAY_STORE_KEY: TEST_MERCHANT.key,
    PORT: String(port),
    API_KEYS: API_KEY,
    ADMIN_USER: ADMIN.user,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'info',
    ...o.env,
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!proc.alive()) throw new Error(`API process exited early:\n${proc.output()}`);
    if (Date.now() > deadline) {
      await proc.kill9();
      throw new Error(`API process did not answer /healthz:\n${proc.output()}`);
    }
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    await sleep(100);
  }
  return {
    ...proc,
    url,
    async call(method, path, body, opts = {}) {
      const headers: Record<string, string> = {};
      if (opts.auth !== false) headers.authorization = `Bearer ${API_KEY}`;
      if (body !== undefined || opts.raw !== undefined) headers['content-type'] = 'application/json';
      Object.assign(headers, opts.headers);
      const res = await fetch(`${url}${path}`, {
        method,
        headers,
        body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, text };
    },
  };
}
