/**
 * What a durable claim costs: the `sending` claim a worker writes before it POSTs a charge or refund
 * (one Lua script: HGET state, check, HINCRBY, HSET of 4 fields, ZADD), timed on private
 * redis-servers (free loopback ports, data in the OS temp directory) configured as:
 *
 *   (a) AOF, appendfsync everysec
 *   (b) AOF, appendfsync always                                  — the production default
 *   (c) AOF, appendfsync everysec + one replica, each claim followed by `WAIT 1 <timeout>`
 *   (e) AOF, appendfsync everysec, each claim followed by `WAITAOF 1 0 <timeout>` — Redis ≥ 7.2 only
 *   (d) no persistence                                           — the peer
 *
 * each from 1 and from 32 concurrent clients (one connection each), for ~3 s per pair: claims/s and
 * latency p50/p99/max (the claim, plus its WAIT where there is one). All servers run side by side and
 * the 3 s are taken in 3 rounds over every configuration in turn, so a change of load on the machine
 * hits all alike. Bounded: every command times out after 5 s, every slice stops at its deadline.
 *
 *   npx tsx bench/durability.ts                 # ~3 s per run, prints the table
 *   npx tsx bench/durability.ts --seconds 1     # shorter runs
 *   npm run bench -- --only D                   # the same as a scenario of `npm run bench`
 */
import { statfsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Redis, type Result } from 'ioredis';
import { startLocalRedis, type LocalRedis } from '../src/redis/local-server.js';
import { round, sleep, summarize } from './scenarios/support/measure.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from './scenarios/support/types.js';

const LABEL = 'D durability';

/** The claim, shaped like src/store/lua/transition.lua when a worker moves an operation to `sending`. */
const CLAIM_LUA = `
local state = redis.call('HGET', KEYS[1], 'state')
if state and state ~= 'queued' and state ~= 'retry_wait' then return 0 end
redis.call('HINCRBY', KEYS[1], 'sends', 1)
redis.call('HSET', KEYS[1], 'state', 'sending', 'updated', ARGV[1], 'sent', ARGV[1], 'deadline', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    benchClaim(op: string, leases: string, now: number, expiry: number, member: string): Result<number, Context>;
  }
}

export interface DurabilityConfig {
  id: string;
  name: string;
  /** redis-server arguments of the primary. */
  args: string[];
  /** Attach a replica (AOF everysec) and WAIT for it after each claim. */
  replica?: boolean;
  /** Command sent after each claim on the same connection; its reply says whether it was confirmed. */
  confirm?: (timeoutMs: number) => { command: [string, ...(string | number)[]]; ok: (reply: unknown) => boolean };
  /** Needs this Redis version or newer. */
  minVersion?: string;
}

export const CONFIGS: DurabilityConfig[] = [
  { id: 'a', name: 'AOF everysec', args: ['--appendonly', 'yes', '--appendfsync', 'everysec'] },
  { id: 'b', name: 'AOF always', args: ['--appendonly', 'yes', '--appendfsync', 'always'] },
  {
    id: 'c', name: 'AOF everysec + replica, WAIT 1', args: ['--appendonly', 'yes', '--appendfsync', 'everysec'], replica: true,
    confirm: (t) => ({ command: ['WAIT', 1, t], ok: (r) => Number(r) >= 1 }),
  },
  {
    id: 'e', name: 'AOF everysec, WAITAOF 1 0', args: ['--appendonly', 'yes', '--appendfsync', 'everysec'], minVersion: '7.2.0',
    confirm: (t) => ({ command: ['WAITAOF', 1, 0, t], ok: (r) => Array.isArray(r) && Number(r[0]) >= 1 }),
  },
  { id: 'd', name: 'no persistence (peer)', args: ['--appendonly', 'no'] },
];

export const CLIENT_COUNTS = [1, 32] as const;
/** WAIT / WAITAOF timeout after each claim. */
const CONFIRM_TIMEOUT_MS = 1_000;
const COMMAND_TIMEOUT_MS = 5_000;

export interface RunFigures {
  config: string;
  name: string;
  clients: number;
  claims: number;
  seconds: number;
  claimsPerSecond: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** WAIT/WAITAOF calls that returned short of the count asked for (not confirmed in time). */
  unconfirmed: number;
  errors: number;
}

export interface DurabilityBenchResult {
  redisVersion: string;
  dataDir: string;
  filesystem: string;
  runs: RunFigures[];
  skipped: { config: string; name: string; reason: string }[];
  /** 1-minute load average before and after: other work on the machine skews every figure. */
  load: [number, number];
}

/** '7.0.15' >= '7.2.0' */
export function versionAtLeast(version: string, min: string): boolean {
  const a = version.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const b = min.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

function connect(url: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS, enableAutoPipelining: false });
  r.defineCommand('benchClaim', { numberOfKeys: 2, lua: CLAIM_LUA });
  return r;
}

async function waitOnline(primary: Redis, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const info = await primary.info('replication');
    if (/^slave0:.*state=online/m.test(info)) return;
    await sleep(20);
  }
  throw new Error('the replica did not come online in time');
}

function filesystemOf(dir: string): string {
  try {
    const s = statfsSync(dir);
    // ext4/xfs/btrfs/tmpfs magic numbers: only to tell "a real disk" from "memory" in the report.
    const kinds: Record<number, string> = { 0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs' };
    return kinds[Number(s.type)] ?? `type 0x${Number(s.type).toString(16)}`;
  } catch {
    return 'unknown';
  }
}

interface Sample {
  latencies: number[];
  claims: number;
  ms: number;
  unconfirmed: number;
  errors: number;
}

/** One slice of one configuration × client count: `clients` connections claiming fresh operations until `ms` have passed. */
async function runSlice(url: string, cfg: DurabilityConfig, clients: number, ms: number, warmupMs: number, round: number): Promise<Sample> {
  const conns = Array.from({ length: clients }, () => connect(url));
  try {
    await Promise.all(conns.map((c) => c.ping()));
    const confirm = cfg.confirm?.(CONFIRM_TIMEOUT_MS);
    const out: Sample = { latencies: [], claims: 0, ms: 0, unconfirmed: 0, errors: 0 };
    let seq = 0;
    const warmEnd = Date.now() + warmupMs;
    const end = warmEnd + ms;
    const lane = async (c: Redis, lane: number) => {
      while (Date.now() < end) {
        const n = seq++;
        const now = Date.now();
        const t0 = performance.now();
        try {
          await c.benchClaim(`{bench}:op:${clients}:${round}:${n}`, '{bench}:leases', now, now + 30_000, `store|T${lane}`);
          if (confirm && !confirm.ok(await c.call(...confirm.command))) out.unconfirmed++;
        } catch {
          out.errors++;
          continue;
        }
        const dt = performance.now() - t0;
        if (now >= warmEnd) {
          out.latencies.push(dt);
          out.claims++;
        }
      }
    };
    await Promise.all(conns.map((c, i) => lane(c, i)));
    out.ms = Date.now() - warmEnd;
    return out;
  } finally {
    for (const c of conns) c.disconnect();
  }
}

function figures(cfg: DurabilityConfig, clients: number, samples: readonly Sample[]): RunFigures {
  const latencies = samples.flatMap((x) => x.latencies);
  const claims = samples.reduce((n, x) => n + x.claims, 0);
  const seconds = samples.reduce((n, x) => n + x.ms, 0) / 1000;
  const s = summarize(latencies);
  return {
    config: cfg.id, name: cfg.name, clients, claims, seconds: round(seconds, 2) ?? 0,
    claimsPerSecond: seconds > 0 ? Math.round(claims / seconds) : 0, p50Ms: round(s.p50, 2), p99Ms: round(s.p99, 2), maxMs: round(s.max, 2),
    unconfirmed: samples.reduce((n, x) => n + x.unconfirmed, 0), errors: samples.reduce((n, x) => n + x.errors, 0),
  };
}

async function serverVersion(): Promise<string> {
  const probe = await startLocalRedis();
  const r = new Redis(probe.url, { maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS });
  try {
    return /redis_version:(\S+)/.exec(await r.info('server'))?.[1] ?? 'unknown';
  } finally {
    r.disconnect();
    await probe.stop();
  }
}

export interface DurabilityBenchOptions {
  /** Measured ms per (configuration, client count), over all rounds; default 3 000. */
  runMs?: number;
  /** The measured time is split into this many rounds that go over every configuration in turn, so a
   *  change of load on the machine hits every configuration alike; default 3. */
  rounds?: number;
  log?: (m: string) => void;
}

interface Started {
  cfg: DurabilityConfig;
  primary: LocalRedis;
  replica?: LocalRedis;
  admin: Redis;
}

export async function runDurabilityBench(options: DurabilityBenchOptions = {}): Promise<DurabilityBenchResult> {
  const runMs = options.runMs ?? 3_000;
  const rounds = Math.max(1, options.rounds ?? 3);
  const sliceMs = Math.max(100, Math.round(runMs / rounds));
  const warmupMs = Math.min(200, Math.round(sliceMs / 10));
  const log = options.log ?? (() => undefined);
  const version = await serverVersion();
  const result: DurabilityBenchResult = { redisVersion: version, dataDir: tmpdir(), filesystem: filesystemOf(tmpdir()), runs: [], skipped: [], load: [loadavg()[0]!, 0] };
  const started: Started[] = [];
  try {
    for (const cfg of CONFIGS) {
      if (cfg.minVersion && !versionAtLeast(version, cfg.minVersion)) {
        const reason = `redis-server ${version} has no ${cfg.name.includes('WAITAOF') ? 'WAITAOF' : 'support'} (added in Redis ${cfg.minVersion})`;
        result.skipped.push({ config: cfg.id, name: cfg.name, reason });
        log(`(${cfg.id}) ${cfg.name}: skipped — ${reason}`);
        continue;
      }
      // startLocalRedis puts its own --appendonly/--appendfsync first; ours come later and win.
      const primary = await startLocalRedis({ extraArgs: [...cfg.args, '--repl-diskless-sync-delay', '0'] });
      const s: Started = { cfg, primary, admin: new Redis(primary.url, { maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS }) };
      started.push(s);
      if (cfg.replica) {
        s.replica = await startLocalRedis({ appendOnly: true, extraArgs: ['--appendfsync', 'everysec', '--replicaof', '127.0.0.1', String(primary.port)] });
        await waitOnline(s.admin, Date.now() + 15_000);
      }
    }
    const samples = new Map<string, Sample[]>();
    for (let r = 0; r < rounds; r++) {
      for (const s of started) {
        for (const clients of CLIENT_COUNTS) {
          const sample = await runSlice(s.primary.url, s.cfg, clients, sliceMs, warmupMs, r);
          const key = `${s.cfg.id}/${clients}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
        }
      }
      log(`round ${r + 1}/${rounds} done`);
    }
    for (const s of started) {
      for (const clients of CLIENT_COUNTS) {
        const fig = figures(s.cfg, clients, samples.get(`${s.cfg.id}/${clients}`) ?? []);
        result.runs.push(fig);
        log(`(${fig.config}) ${fig.name}, ${clients} client${clients === 1 ? '' : 's'}: ${fig.claimsPerSecond} claims/s, p50 ${fig.p50Ms} ms, p99 ${fig.p99Ms} ms, max ${fig.maxMs} ms${s.cfg.confirm ? `, ${fig.unconfirmed} unconfirmed` : ''}${fig.errors ? `, ${fig.errors} errors` : ''}`);
      }
    }
  } finally {
    for (const s of started) {
      s.admin.disconnect();
      await s.replica?.stop();
      await s.primary.stop();
    }
  }
  result.load[1] = loadavg()[0]!;
  return result;
}

const cellMs = (v: number | null) => (v === null ? '—' : v.toFixed(2));

/** The markdown table: one line per configuration and client count, the peer's throughput as the reference. */
export function durabilityTable(r: DurabilityBenchResult): string {
  const peer = (clients: number) => r.runs.find((x) => x.config === 'd' && x.clients === clients)?.claimsPerSecond ?? null;
  const lines = [
    '| Redis configuration | Clients | Claims/s | ÷ no persistence | p50 ms | p99 ms | max ms | Unconfirmed WAIT(AOF) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const x of r.runs) {
    const p = peer(x.clients);
    const ratio = p && x.config !== 'd' ? `${(x.claimsPerSecond / p).toFixed(2)}×` : '';
    const confirm = CONFIGS.find((c) => c.id === x.config)?.confirm ? String(x.unconfirmed) : '—';
    lines.push(`| (${x.config}) ${x.name} | ${x.clients} | ${x.claimsPerSecond.toLocaleString('en-US')} | ${ratio} | ${cellMs(x.p50Ms)} | ${cellMs(x.p99Ms)} | ${cellMs(x.maxMs)} | ${confirm} |`);
  }
  return lines.join('\n');
}

export function durabilityNotes(r: DurabilityBenchResult): string[] {
  const notes = r.skipped.map((s) => `WAITAOF skipped: ${s.reason}; ${s.config === 'e' ? 'on Redis ≥ 7.2 this bench also runs (e) everysec + WAITAOF 1 0.' : ''}`.trim());
  const errors = r.runs.filter((x) => x.errors > 0).map((x) => `(${x.config}) ${x.clients} clients: ${x.errors} command errors`);
  return [
    `redis-server ${r.redisVersion}; data directory ${r.dataDir} (${r.filesystem}); ${cpus().length} CPUs shared by the bench client, the server and the replica; 1-min load average ${r.load.map((l) => l.toFixed(2)).join(' → ')}.`,
    ...notes,
    ...errors,
  ];
}

/** `npm run bench` scenario D: same runs, shortened to fit its budget; rows against the no-persistence peer. */
export async function durabilityScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const started = Date.now();
  const runsCount = CONFIGS.length * CLIENT_COUNTS.length;
  // ~5 s for the server starts, the replica's sync and the stops, the rest split over the runs (a
  // slice's warm-up and connections add ~10 %); 3 s each at most.
  const runMs = Math.max(600, Math.min(ctx.quick ? 1_000 : 3_000, Math.floor((ctx.budgetMs - 7_000) / runsCount / 1.15)));
  const r = await runDurabilityBench({ runMs, log: ctx.log });
  const rows: BenchRow[] = [];
  for (const x of r.runs) {
    if (x.config === 'd') continue;
    const peer = r.runs.find((p) => p.config === 'd' && p.clients === x.clients);
    const label = `(${x.config}) ${x.name}, ${x.clients} client${x.clients === 1 ? '' : 's'}`;
    rows.push({ scenario: LABEL, metric: `${label}: claims/s`, unit: '/s', measured: x.claimsPerSecond, peer: { name: 'no persistence', value: peer?.claimsPerSecond ?? null }, better: 'higher' });
    rows.push({
      scenario: LABEL, metric: `${label}: claim latency p99`, unit: 'ms', measured: x.p99Ms, peer: { name: 'no persistence', value: peer?.p99Ms ?? null }, better: 'lower',
      note: `p50 ${cellMs(x.p50Ms)} ms, max ${cellMs(x.maxMs)} ms${x.unconfirmed ? `, ${x.unconfirmed} unconfirmed` : ''}`,
    });
  }
  for (const s of r.skipped) rows.push({ scenario: LABEL, metric: `(${s.config}) ${s.name}`, unit: '', measured: null, note: `skipped: ${s.reason}` });
  return {
    id: 'D', title: 'Durability: cost of a durable claim before a POST', status: r.skipped.length ? 'partial' : 'ok',
    ...(r.skipped.length ? { reason: r.skipped.map((s) => s.reason).join('; ') } : {}),
    durationMs: Date.now() - started, rows, details: { ...r, runMs },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
  const runMs = Math.round(Number(values.seconds) * 1000);
  if (!Number.isFinite(runMs) || runMs <= 0 || runMs > 60_000) throw new Error('--seconds: between 0 and 60');
  const r = await runDurabilityBench({ runMs, log: (m) => process.stderr.write(`${m}\n`) });
  process.stdout.write(`${durabilityTable(r)}\n\n${durabilityNotes(r).map((n) => `- ${n}`).join('\n')}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
