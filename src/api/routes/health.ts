/** `/healthz` (the process answers), `/readyz` (Redis answers; in-process workers run), `/metrics`. */
import { Router } from 'express';
import type { ApiOptions } from '../deps.js';

const PING_TIMEOUT_MS = 1_000;

export type HealthDeps = Pick<ApiOptions, 'core' | 'metrics' | 'workers' | 'durability'>;

async function redisAnswers(api: HealthDeps): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS)));
  try {
    return await Promise.race([api.core.redis.ping().then((r) => r === 'PONG', () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(api: HealthDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const redis = await redisAnswers(api);
    const workers = api.workers ? api.workers.running() : null;
    const ready = redis && workers !== false;
    const d = api.durability;
    // Durability below what is required is reported, not a reason to stop: a worker that refused to
    // run would strand the operations already in flight.
    const durability = d ? { ok: d.ok, level: d.level, detail: d.detail } : 'not checked in this process';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { redis, workers: workers ?? 'not in this process', durability } });
  });
  if (api.metrics) {
    const { metrics } = api;
    router.get('/metrics', async (_req, res) => {
      res.type(metrics.contentType).send(await metrics.render());
    });
  }
  return router;
}
