/**
 * The simulator in its own process (`src/simulator/main.ts`, configured by SIM_* as `npm run
 * simulator` is): the gateway is remote in production, and on 2 cores a separate process keeps the
 * gateway's CPU out of the orchestrator's event loop. Busy violations and charge POSTs are read
 * from `GET /_sim/stats`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort } from '../../../src/redis/local-server.js';
import { sleep } from './measure.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface SimProcessOptions {
  /** Terminal count (A01 … zero-padded), as SIM_DEVICES. */
  devices: number;
  /** Terminal time per charge, as SIM_SERVICE_MS. */
  serviceMs: number;
  /** Journal ring size; small by default, the benches read records and stats instead. */
  journalSize?: number;
}

export interface SimStats {
  busyViolations: number;
  chargePosts: Record<string, number>;
  requests: Record<string, number>;
  answers: Record<string, number>;
}

export interface SimProcess {
  url: string;
  origin: string;
  stats(): Promise<SimStats>;
  stop(): Promise<void>;
}

export async function startSimProcess(o: SimProcessOptions): Promise<SimProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SIM_') && !k.startsWith('MYPAY_')) env[k] = v;
  Object.assign(env, {
    SIM_PORT: String(port),
    SIM_DEVICES: String(o.devices),
    SIM_SERVICE_MS: String(o.serviceMs),
    SIM_FOLLOW_UP_MS: '0',
    SIM_PRINT_MS: '0',
    SIM_JOURNAL_SIZE: String(o.journalSize ?? 100),
    LOG_LEVEL: 'warn',
  });
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/simulator/main.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2_000)));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`simulator exited (${child.exitCode}): ${stderr}`);
    try {
      const res = await request(`${origin}/_sim/health`);
      await res.body.dump();
      if (res.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`simulator did not start: ${stderr}`);
    }
    await sleep(50);
  }
  return {
    url: `${origin}/api/init`,
    origin,
    async stats() {
      const res = await request(`${origin}/_sim/stats`);
      return (await res.body.json()) as SimStats;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await gone;
      }
    },
  };
}
