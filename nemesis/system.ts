/**
 * The system under test as separate OS processes, all on 127.0.0.1:
 *
 *   redis-server (AOF on, appendfsync always, own port and directory)
 *     ▲   ▲  ▲ W1 through the partition proxy (RedisLinkProxy)
 *     │   │  └──────────────────────────────────┐
 *   API (src/main.ts --role api)   workers W1…Wn (src/main.ts --role worker, Wn+ may run a shifted clock)
 *     │                                  │
 *     └──────► gateway fault proxy ◄─────┘ ──► simulator (src/simulator/main.ts)
 *                                                 │ callbacks
 *   API /v1/callbacks/mypay ◄── callback relay ◄──┘ (records them, for duplicate/late replays)
 *
 * Every process leads its own process group; `close()` (and the nemesis' exit hook) kills them all.
 */
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { TEST_MERCHANT } from '../src/config/config.js';
import { ADMIN, API_KEY, call, type Reply } from './http.js';
import { sleep, spawnNode, spawnProc, tail, waitUntil, type Proc } from './proc.js';
import { startFaultProxy, startRedisLinkProxy, type FaultProxy, type RedisLinkProxy } from './proxy.js';

export const STORE = TEST_MERCHANT.storeUid;
export const PREFIX = 'nemesis';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createTcpServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** One raw RESP command (PING, SHUTDOWN NOSAVE) without a client library; resolves with the first reply line. */
export function redisCommand(port: number, args: string[], timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    let data = '';
    const done = (v: string) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done('timeout'));
    sock.once('error', (e) => done(`error ${e.message}`));
    sock.once('close', () => done(data || 'closed'));
    sock.once('connect', () => sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`));
    sock.on('data', (d: Buffer) => {
      data += d.toString();
      if (data.includes('\r\n')) done(data.split('\r\n')[0]!);
    });
  });
}

export interface WorkerSlot {
  name: string;
  proc: Proc;
  clockOffsetMs: number;
  viaProxy: boolean;
  paused: boolean;
  incarnation: number;
}

export interface CallbackRelay {
  url: string;
  received: { at: number; body: string; forwarded: number }[];
  close(): Promise<void>;
}

export interface SystemOptions {
  runDir: string;
  terminals: number;
  workers: number;
  /** Clock offset (ms) per worker index, 0 for none. */
  clockOffsets: number[];
  /** API and worker environment (timings), merged over the defaults. */
  env: Record<string, string>;
  sim: { serviceMs: number; followUpMs: number; printMs: number; extraEnv?: Record<string, string> };
}

export interface System {
  readonly redisPort: number;
  readonly redisDir: string;
  readonly redisUrl: string;
  redisProc(): Proc | null;
  readonly link: RedisLinkProxy;
  readonly gateway: FaultProxy;
  readonly callbacks: CallbackRelay;
  readonly simOrigin: string;
  readonly apiUrl: string;
  readonly devices: string[];
  api(): Proc;
  workers: WorkerSlot[];
  /** Redis down: `SHUTDOWN NOSAVE` or SIGKILL; resolves when the process is gone. */
  redisDown(how: 'shutdown' | 'kill'): Promise<void>;
  /** Redis up again on the same port and directory (its AOF). */
  redisUp(): Promise<void>;
  restartWorker(slot: WorkerSlot, clockOffsetMs?: number): Promise<void>;
  restartApi(): Promise<void>;
  sim(method: string, path: string, body?: unknown): Promise<Reply>;
  apiCall(method: string, path: string, o?: Parameters<typeof call>[3]): Promise<Reply>;
  /** Heals every fault left: SIGCONT, link restored, rules cleared, processes up. */
  heal(): Promise<string[]>;
  close(): Promise<void>;
}

function deviceNames(n: number): string[] {
  const width = Math.max(2, String(n).length);
  return Array.from({ length: n }, (_, i) => `A${String(i + 1).padStart(width, '0')}`);
}

async function startCallbackRelay(apiUrl: string): Promise<CallbackRelay> {
  const received: CallbackRelay['received'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry = { at: Date.now(), body, forwarded: 0 };
      received.push(entry);
      if (received.length > 5_000) received.shift();
      fetch(`${apiUrl}/v1/callbacks/mypay?store_uid=${STORE}`, {
        method: 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(5_000),
      }).then(
        async (r) => {
          entry.forwarded = r.status;
          await r.arrayBuffer().catch(() => undefined);
          res.writeHead(r.status).end();
        },
        () => res.writeHead(502).end(),
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/callbacks`,
    received,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}

export async function startSystem(o: SystemOptions): Promise<System> {
  mkdirSync(o.runDir, { recursive: true });
  const logs = join(o.runDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const redisDir = join(o.runDir, 'redis');
  mkdirSync(redisDir, { recursive: true });
  const devices = deviceNames(o.terminals);
  const procs: Proc[] = [];
  let counter = 0;
  const logFile = (name: string) => join(logs, `${name}.${counter++}.log`);

  // ── Redis ──
  const redisPort = await freePort();
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  let redis: Proc | null = null;
  const startRedis = async () => {
    redis = spawnProc('redis', 'redis-server', [
      '--port', String(redisPort), '--bind', '127.0.0.1', '--dir', redisDir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--hz', '100', '--maxmemory-policy', 'noeviction',
    ], { env: {}, logFile: logFile('redis') });
    procs.push(redis);
    const r = redis;
    await waitUntil('redis-server ready', async () => (await redisCommand(redisPort, ['PING'])) === '+PONG', 15_000, r);
  };
  await startRedis();

  const link = await startRedisLinkProxy(redisPort);
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const callbacks = await startCallbackRelay(apiUrl);

  // ── Simulator ──
  const simPort = await freePort();
  const simOrigin = `http://127.0.0.1:${simPort}`;
  const simProc = spawnNode('simulator', 'src/simulator/main.ts', [], {
    env: {
      SIM_PORT: String(simPort), SIM_HOST: '127.0.0.1', SIM_DEVICES: devices.join(','),
      SIM_SERVICE_MS: String(o.sim.serviceMs), SIM_SERVICE_JITTER_MS: '0', SIM_PRINT_MS: String(o.sim.printMs),
      SIM_FOLLOW_UP_MS: String(o.sim.followUpMs), SIM_JOURNAL_SIZE: '500000', SIM_CALLBACK_URL: callbacks.url,
      MYPAY_STORE_UID: TEST_MERCHANT.storeUid, MYPAY_STORE_KEY: TEST_MERCHANT.key, LOG_LEVEL: 'warn',
      ...o.sim.extraEnv,
    },
    logFile: logFile('simulator'),
  });
  procs.push(simProc);
  const gateway = await startFaultProxy(`${simOrigin}/api/init`, new Map([[TEST_MERCHANT.storeUid, TEST_MERCHANT.key]]));

  const baseEnv = (redis: string): Record<string, string> => ({
    REDIS_URL: redis,
    QUEUE_PREFIX: PREFIX,
    MYPAY_URL: gateway.url,
    MYPAY_ALLOWED_HOSTS: '127.0.0.1',
    MYPAY_STORE_UID: TEST_MERCHANT.storeUid,
    MYPAY_STORE_KEY: TEST_MERCHANT.key,
    ...o.env,
  });

  // ── API ──
  let api: Proc;
  const startApi = async () => {
    api = spawnNode('api', 'src/main.ts', ['--role', 'api'], {
      env: { ...baseEnv(redisUrl), PORT: String(apiPort), HOST: '127.0.0.1', API_KEYS: API_KEY, ADMIN_USER: ADMIN.user, ADMIN_PASSWORD: ADMIN.password },
      logFile: logFile('api'),
    });
    procs.push(api);
    const a = api;
    await waitUntil('API /healthz', () => fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false), 30_000, a);
  };

  // ── Workers ──
  const workers: WorkerSlot[] = [];
  const spawnWorker = async (slot: WorkerSlot) => {
    slot.proc = spawnNode(slot.name, 'src/main.ts', ['--role', 'worker'], {
      env: baseEnv(slot.viaProxy ? link.url : redisUrl),
      logFile: logFile(slot.name),
      clockOffsetMs: slot.clockOffsetMs,
    });
    slot.paused = false;
    slot.incarnation++;
    procs.push(slot.proc);
    const p = slot.proc;
    await waitUntil(`${slot.name} started`, () => p.output().includes('"msg":"started"'), 30_000, p);
  };

  await waitUntil('simulator /_sim/health', () => fetch(`${simOrigin}/_sim/health`, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false), 30_000, simProc);
  const starting: Promise<void>[] = [startApi()];
  for (let i = 0; i < o.workers; i++) {
    const slot: WorkerSlot = { name: `w${i + 1}`, proc: null as unknown as Proc, clockOffsetMs: o.clockOffsets[i] ?? 0, viaProxy: i === 0, paused: false, incarnation: 0 };
    workers.push(slot);
    starting.push(spawnWorker(slot));
  }
  await Promise.all(starting);

  const sys: System = {
    redisPort,
    redisDir,
    redisUrl,
    redisProc: () => redis,
    link,
    gateway,
    callbacks,
    simOrigin,
    apiUrl,
    devices,
    api: () => api,
    workers,
    async redisDown(how) {
      const r = redis;
      if (!r || !r.alive()) return;
      if (how === 'shutdown') {
        await redisCommand(redisPort, ['SHUTDOWN', 'NOSAVE']);
        await Promise.race([r.exited, sleep(5_000)]);
      }
      await r.kill9();
    },
    async redisUp() {
      const r = redis;
      if (r && r.alive()) return;
      await startRedis();
    },
    async restartWorker(slot, clockOffsetMs) {
      await slot.proc.kill9();
      if (clockOffsetMs !== undefined) slot.clockOffsetMs = clockOffsetMs;
      await spawnWorker(slot);
    },
    async restartApi() {
      await api.kill9();
      await startApi();
    },
    sim: (method, path, body) => call(simOrigin, method, path, { body, auth: false }),
    apiCall: (method, path, opts) => call(apiUrl, method, path, opts),
    async heal() {
      const actions: string[] = [];
      for (const w of workers) {
        if (w.paused) {
          w.proc.signal('SIGCONT');
          w.paused = false;
          actions.push(`SIGCONT ${w.name}`);
        }
      }
      if (link.mode() !== 'open') {
        link.restore();
        actions.push('redis link restored');
      }
      link.disarmClaim();
      gateway.clear();
      if (!redis?.alive()) {
        await startRedis();
        actions.push('redis restarted');
      }
      if (!api.alive()) {
        await startApi();
        actions.push('API restarted');
      }
      for (const w of workers) {
        if (!w.proc.alive()) {
          await spawnWorker(w);
          actions.push(`${w.name} restarted`);
        }
      }
      const online = await call(simOrigin, 'POST', '/_sim/devices', { body: { online: devices }, auth: false }).catch(() => null);
      if (online?.status === 200) actions.push('terminals online');
      await call(simOrigin, 'POST', '/_sim/callbacks', { body: { url: callbacks.url }, auth: false }).catch(() => null);
      return actions;
    },
    async close() {
      for (const w of workers) if (w.paused) w.proc.signal('SIGCONT');
      link.restore();
      await Promise.allSettled([api, ...workers.map((w) => w.proc)].filter(Boolean).map((p) => p.stop(3_000)));
      await simProc.stop(3_000);
      await Promise.allSettled([gateway.close(), link.close(), callbacks.close()]);
      const r = redis;
      if (r) await r.stop(3_000);
      for (const p of procs) if (p.alive()) await p.kill9();
    },
  };
  return sys;
}

/** The last lines of each process' log, for a report on a failed start. */
export function logTails(sys: System): string {
  return [sys.api(), ...sys.workers.map((w) => w.proc)].map((p) => `── ${p.name} (${p.logFile})\n${tail(p.output(), 15)}`).join('\n');
}
