/**
 * A node as production runs it: `npm run worker` (`src/main.ts --role worker`, /healthz, /readyz
 * and /metrics on `METRICS_PORT`) or `npm run api` (`--role api`, the API on `PORT`), on its own
 * host:port. Ready when /readyz answers 200.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { freePort } from '../../../src/redis/local-server.js';
import { workerEnv, type WorkerProcessOptions } from '../../support/processes.js';

const require = createRequire(import.meta.url);
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

export interface WorkerNode {
  child: ChildProcess;
  /** `http://<host>:<port>` of the node's ops server (worker) or API (api). */
  origin: string;
  output(): string;
  /** Counter values of one metric family, summed by the labels given (e.g. `{command: 'api/postransaction'}`). */
  metric(name: string, match?: Record<string, string>): Promise<number>;
  /** SIGTERM: running jobs finish (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** SIGKILL: no cleanup. */
  kill9(): Promise<void>;
}

export async function startWorkerNode(o: WorkerProcessOptions & { host: string; role?: 'worker' | 'api' }): Promise<WorkerNode> {
  const port = await freePort();
  const role = o.role ?? 'worker';
  const env = { ...workerEnv(o), HOST: o.host, ...(role === 'worker' ? { METRICS_PORT: String(port) } : { PORT: String(port) }) };
  const child = spawn(process.execPath, ['--import', TSX_LOADER, 'src/main.ts', '--role', role], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const origin = `http://${o.host}:${port}`;
  const get = async (path: string) => {
    const res = await request(`${origin}${path}`, { headersTimeout: 2_000, bodyTimeout: 2_000 });
    return { status: res.statusCode, body: await res.body.text() };
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`worker node exited early: ${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`worker node not ready: ${out}`);
    }
    const ready = await get('/readyz').catch(() => null);
    if (ready?.status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    origin,
    output: () => out,
    async metric(name, match = {}) {
      const { body } = await get('/metrics');
      let sum = 0;
      for (const line of body.split('\n')) {
        const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
        if (Object.entries(match).every(([k, v]) => labels[k] === v)) sum += Number(m[3]);
      }
      return sum;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
