/**
 * An orchestrator (core, producer, in-process workers) on any ioredis connection — a Redis Cluster
 * here — talking over HTTP to a simulator. The cluster twin of test/support/harness.ts, which is
 * bound to a single `redis://` URL.
 */
import { pino } from 'pino';
import type { Cluster, Redis } from 'ioredis';
import { TEST_MERCHANT } from '../../../src/config/config.js';
import { createGatewayClient, type GatewayClient } from '../../../src/gateway/index.js';
import { createCore, type Core } from '../../../src/queues/core.js';
import { createProducer, type Producer } from '../../../src/producers/index.js';
import type { Simulator } from '../../../src/simulator/index.js';
import { startWorkers, type WorkerRuntime } from '../../../src/workers/index.js';
import { FAST_SETTINGS, STORE_UID } from '../../support/harness.js';

export interface Orchestrator {
  core: Core;
  producer: Producer;
  workers: WorkerRuntime;
  waitForState(opId: string, states: string[], timeoutMs?: number): Promise<string>;
  waitAll(ids: string[], finals: string[], timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export function startOrchestrator(connection: Redis | Cluster, tag: string, sim: Simulator, concurrency = 20): Orchestrator {
  const core = createCore({ connection, tag, settings: FAST_SETTINGS });
  const producer = createProducer(core);
  const gateway: GatewayClient = createGatewayClient({ url: sim.url, allowedHosts: ['127.0.0.1'], answerTimeoutMs: FAST_SETTINGS.answerTimeoutMs, connectTimeoutMs: 500 });
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const workers = startWorkers({ core, gateway, logger, merchantKey: (s) => (s === STORE_UID ? TEST_MERCHANT.key : undefined) }, { concurrency });
  const waitAll = async (ids: string[], finals: string[], timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ops = await core.store.getMany(ids);
      const open = ops.map((o, i) => ({ o, id: ids[i] })).filter(({ o }) => !o || !finals.includes(o.state));
      if (open.length === 0) return;
      if (Date.now() > deadline) throw new Error(`${open.length} operation(s) not in ${finals.join('|')}, e.g. ${open[0]!.id} ${open[0]!.o?.state ?? 'missing'}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return {
    core,
    producer,
    workers,
    async waitForState(opId, states, timeoutMs = 10_000) {
      await waitAll([opId], states, timeoutMs);
      return (await core.store.get(opId))!.state;
    },
    waitAll,
    async close() {
      await workers.close();
      await core.close();
      await gateway.close();
    },
  };
}

/** Every key on every master of the cluster, with its slot. */
export async function keysBySlot(cluster: Cluster): Promise<{ port: number; key: string; slot: number }[]> {
  const out: { port: number; key: string; slot: number }[] = [];
  for (const node of cluster.nodes('master')) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'COUNT', 1000);
      for (const key of batch) out.push({ port: Number(node.options.port), key, slot: Number(await node.cluster('KEYSLOT', key)) });
      cursor = next;
    } while (cursor !== '0');
  }
  return out;
}
