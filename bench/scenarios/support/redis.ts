/**
 * A private `redis-server` per scenario (free loopback port, no persistence), so figures depend
 * neither on a shared 6379 nor on what earlier scenarios left behind; plus readers for the INFO
 * sections the benches report (commandstats, memory).
 */
import { Redis } from 'ioredis';
import { startLocalRedis, type LocalRedis } from '../../../src/redis/local-server.js';
import { REDIS_OPTIONS } from '../../../src/queues/core.js';

export interface BenchRedis {
  url: string;
  server: LocalRedis;
  /** An admin connection (INFO, CONFIG); not used by the system under test. */
  admin: Redis;
  /** Server-side calls per command since the last reset (includes calls made inside Lua scripts). */
  commandStats(): Promise<Map<string, number>>;
  resetStats(): Promise<void>;
  usedMemory(): Promise<number>;
  version(): Promise<string>;
  stop(): Promise<void>;
}

/** `extraArgs` are `redis-server` arguments for experiments (e.g. `['--hz', '100']`); the benches use the defaults `npm start` gets. */
export async function startBenchRedis(extraArgs: string[] = []): Promise<BenchRedis> {
  const server = await startLocalRedis({ extraArgs });
  const admin = new Redis(server.url, REDIS_OPTIONS);
  return {
    url: server.url,
    server,
    admin,
    async commandStats() {
      return parseCommandStats(await admin.info('commandstats'));
    },
    async resetStats() {
      await admin.config('RESETSTAT');
    },
    async usedMemory() {
      return Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1] ?? NaN);
    },
    async version() {
      return /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? 'unknown';
    },
    async stop() {
      await admin.quit().catch(() => undefined);
      await server.stop();
    },
  };
}

/** `cmdstat_hset:calls=12,usec=…` → hset → 12. Our own INFO/CONFIG calls are left out. */
export function parseCommandStats(info: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    const name = m[1]!.toLowerCase();
    if (name === 'info' || name === 'config' || name.startsWith('config|')) continue;
    out.set(name, Number(m[2]));
  }
  return out;
}

export function diffCounts(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out.set(k, d);
  }
  return out;
}

export const total = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + v, 0);

/** `{name: perUnit}` sorted by count, for the JSON report. */
export function perUnit(m: Map<string, number>, units: number, digits = 2): Record<string, number> {
  return Object.fromEntries([...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Number((v / units).toFixed(digits))]));
}
