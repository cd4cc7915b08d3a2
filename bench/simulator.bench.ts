/**
 * Simulator throughput: an in-process simulator with zero service time, hammered on loopback by
 * undici for a bounded time with a 50/50 mix of `api/querydirect` and `api/postransaction` (every
 * charge a new order, so each one creates an order, occupies and frees a terminal, and is journaled).
 *
 * Request bodies are encrypted before the clock starts: the figure is the simulator's (decode,
 * decrypt ×2, validate, apply, journal, answer), not the client's AES.
 *
 * `npx tsx bench/simulator.bench.ts` prints the result; `bench/run.ts` calls {@link runSimulatorBench}.
 */
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { TEST_MERCHANT } from '../src/config/config.js';
import { encodeEnvelope, envelopeToForm, type Command } from '../src/domain/codec/index.js';
import { createSimulator } from '../src/simulator/index.js';

export interface SimulatorBenchOptions {
  /** Measured time. Default 5 000 ms. */
  durationMs?: number;
  /** Unmeasured warm-up (JIT, connections). Default 1 000 ms. */
  warmupMs?: number;
  /** Concurrent requests (= keep-alive connections). Default 64. */
  concurrency?: number;
  /** Terminals in the simulated fleet. Default 100. */
  devices?: number;
}

export interface SimulatorBenchResult {
  name: 'simulator';
  requestsPerSecond: number;
  requests: number;
  /** Requests that were not HTTP 200 with a B200 answer. */
  errors: number;
  durationMs: number;
  concurrency: number;
  latencyMs: { p50: number; p99: number };
  byCommand: Record<string, number>;
  /** Must stay 0: with zero service time a terminal is free again before its answer is sent. */
  busyViolations: number;
}

const STORE = { store_uid: TEST_MERCHANT.storeUid, key: TEST_MERCHANT.key };

function bodies(cmd: Command, count: number, devices: number, tag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const device = `A${String((i % devices) + 1).padStart(Math.max(2, String(devices).length), '0')}`;
    const data =
      cmd === 'api/postransaction'
        ? { store_uid: STORE.store_uid, device_name: device, order_id: `${tag}-${i}`, cost: '100', pfn: 'CREDITCARD', items: [{ id: '1', name: '拿鐵', cost: '100', amount: '1', total: '100' }] }
        : { store_uid: STORE.store_uid, order_id: `${tag}-${i}`, cost: '100' };
    out.push(envelopeToForm(encodeEnvelope(STORE.store_uid, STORE.key, cmd, data)));
  }
  return out;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

export async function runSimulatorBench(options: SimulatorBenchOptions = {}): Promise<SimulatorBenchResult> {
  const durationMs = options.durationMs ?? 5_000;
  const warmupMs = options.warmupMs ?? 1_000;
  const concurrency = options.concurrency ?? 64;
  const devices = options.devices ?? 100;
  const sim = await createSimulator({ serviceMs: 0, printMs: 0, devices, seedSpecSamples: false });
  const pool = new Pool(sim.origin, { connections: concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  // Enough distinct charges for the warm-up and the run at well above the target rate.
  const charges = bodies('api/postransaction', Math.ceil(((durationMs + warmupMs) / 1_000) * 12_000), devices, 'BENCH');
  const queries = bodies('api/querydirect', 2_000, devices, 'BENCH');
  let next = 0;
  let measuring = false;
  let stop = false;
  let requests = 0;
  let errors = 0;
  const byCommand: Record<string, number> = {};
  const latencies: number[] = [];

  async function worker(): Promise<void> {
    while (!stop) {
      const i = next++;
      const isCharge = i % 2 === 0 && i / 2 < charges.length;
      const body = isCharge ? charges[i / 2]! : queries[i % queries.length]!;
      const started = performance.now();
      let good = false;
      try {
        const res = await pool.request({ method: 'POST', path: '/api/init', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
        const text = await res.body.text();
        good = res.statusCode === 200 && text.startsWith('{"code":"B200"');
      } catch {
        good = false;
      }
      if (!measuring) continue;
      requests++;
      if (!good) errors++;
      const cmd = isCharge ? 'api/postransaction' : 'api/querydirect';
      byCommand[cmd] = (byCommand[cmd] ?? 0) + 1;
      if ((requests & 7) === 0) latencies.push(performance.now() - started);
    }
  }

  const workers = Array.from({ length: concurrency }, () => worker());
  await new Promise((r) => setTimeout(r, warmupMs));
  const busyBefore = sim.engine.stats.busyViolations;
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  measuring = false;
  const elapsed = performance.now() - t0;
  stop = true;
  await Promise.all(workers);
  const busyViolations = sim.engine.stats.busyViolations - busyBefore;
  await pool.close();
  await sim.close();
  latencies.sort((a, b) => a - b);
  return {
    name: 'simulator',
    requestsPerSecond: Math.round((requests / elapsed) * 1_000),
    requests,
    errors,
    durationMs: Math.round(elapsed),
    concurrency,
    latencyMs: { p50: Number(percentile(latencies, 50).toFixed(2)), p99: Number(percentile(latencies, 99).toFixed(2)) },
    byCommand,
    busyViolations,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runSimulatorBench().then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      console.log(`simulator: ${r.requestsPerSecond} requests/s (querydirect + postransaction, zero service time, ${r.concurrency} connections)`);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
