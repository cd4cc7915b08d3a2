/**
 * A local Redis Cluster of `masters` loopback redis-servers (no replicas), made the way an operator
 * would: `redis-server --cluster-enabled yes` per node, then `redis-cli --cluster create`.
 * Each node has its own temporary data directory (and nodes.conf), removed on stop.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { REDIS_OPTIONS } from '../../../src/queues/core.js';
import { startLocalRedis, type LocalRedis } from '../../../src/redis/local-server.js';

const run = promisify(execFile);

export interface LocalCluster {
  nodes: LocalRedis[];
  ports: number[];
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,…` — what `REDIS_URL` takes (src/app/runtime.ts). */
  url: string;
  /** A new ioredis Cluster client (the caller quits it). */
  connect(): Cluster;
  /** Which node's port serves the slot of `key`. */
  portOfKey(key: string): Promise<number>;
  stop(): Promise<void>;
}

async function clusterOk(port: number): Promise<boolean> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const info = await r.cluster('INFO');
    return /cluster_state:ok/.test(String(info)) && /cluster_slots_assigned:16384/.test(String(info));
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

export async function startLocalCluster(masters = 3, timeoutMs = 20_000): Promise<LocalCluster> {
  const nodes: LocalRedis[] = [];
  const stopAll = () => Promise.all(nodes.map((n) => n.stop()));
  try {
    for (let i = 0; i < masters; i++) {
      // startLocalRedis already passes --port <free> --bind 127.0.0.1 --dir <tmp>; nodes.conf lands in that dir.
      nodes.push(await startLocalRedis({ extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'] }));
    }
    const ports = nodes.map((n) => n.port);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: timeoutMs });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = await Promise.all(ports.map(clusterOk));
      if (ok.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error(`cluster did not reach cluster_state:ok in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const connect = () => new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: REDIS_OPTIONS });
    return {
      nodes,
      ports,
      url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
      connect,
      async portOfKey(key) {
        const probe = new Redis({ port: ports[0], host: '127.0.0.1' });
        try {
          const slot = Number(await probe.cluster('KEYSLOT', key));
          const owner = (await probe.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to);
          if (!owner?.[2]) throw new Error(`no node serves slot ${slot}`);
          return owner[2][1];
        } finally {
          probe.disconnect();
        }
      },
      stop: async () => void (await stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
