/** The worker role's small HTTP server: /healthz, /readyz and /metrics, nothing else. */
import express from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Core } from '../queues/core.js';
import type { Metrics } from '../metrics/index.js';
import { notFound, problemHandler } from '../api/problem.js';
import { healthRoutes } from '../api/routes/health.js';
import type { DurabilityInspection } from '../store/durability.js';

export function createOpsApp(core: Core, metrics: Metrics, workers: { running(): boolean }, logger: Logger, durability?: DurabilityInspection): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(helmet());
  app.use(healthRoutes({ core, metrics, workers, durability }));
  app.use(notFound);
  app.use(problemHandler(logger));
  return app;
}
