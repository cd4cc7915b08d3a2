/**
 * The express app: helmet, health and metrics (open), the gateway callback (no API key: the gateway
 * cannot send one; a callback is only a hint, behind a per-store shared secret, coalesced per order
 * and rate-limited per client), the v1 API (Bearer; scoped keys see their stores only), Bull Board (Basic),
 * OpenAPI, problem+json errors.
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import { basicAuth, bearerAuth, keyring } from './auth.js';
import { BOARD_PATH, createBoard } from './board.js';
import { jsonBody } from './body.js';
import type { ApiOptions } from './deps.js';
import { buildOpenApi } from './openapi.js';
import { notFound, problemHandler } from './problem.js';
import { eventRoutes } from './routes/events.js';
import { searchRoutes } from './routes/search.js';
import { attentionRoutes } from './routes/attention.js';
import { healthRoutes } from './routes/health.js';
import { operationRoutes } from './routes/operations.js';
import { callbackRoutes, queryRoutes } from './routes/queries.js';
import { createRefundBatchRouter } from './routes/refund-batches.js';
import { webhookRoutes } from './routes/webhooks.js';
import { consoleRouter } from './console/router.js';

export const DEFAULT_BODY_LIMIT_BYTES = 102_400;

export function createApiApp(api: ApiOptions): Express {
  if (!api.admin.user || !api.admin.password) throw new Error('createApiApp: Bull Board credentials are required');
  const limit = api.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  // One key ring for every Bearer route: API_KEYS (every store, write) and the scoped keys of API_KEYS_FILE.
  const auth = bearerAuth(keyring(api.apiKeys, api.scopedKeys));
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(
    helmet({
      // Served over plain HTTP on localhost in the demo: do not ask browsers to upgrade.
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
    }),
  );
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // Method, path and status only: never headers (keys) or bodies (payment data).
      // The key's name (never the key) says who made the request.
      const principal = (res.locals as { principal?: { name: string } }).principal?.name;
      api.logger.debug({ method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6, ...(principal ? { principal } : {}) }, 'http request');
    });
    next();
  });
  app.use(healthRoutes(api));
  const openapi = buildOpenApi();
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use('/v1', callbackRoutes(api, limit));
  // Before the v1 body parser: a batch (CSV or JSON, up to 20 MiB) brings its own.
  app.use(createRefundBatchRouter({ core: api.core, producer: api.producer, stores: api.stores, auth, logger: api.logger }));
  app.use('/v1', auth, ...jsonBody(limit), operationRoutes(api), queryRoutes(api), eventRoutes(api), searchRoutes(api), attentionRoutes(api), webhookRoutes(api));
  app.use(BOARD_PATH, basicAuth(api.admin), createBoard(api.core, { readOnly: api.boardReadOnly ?? false }));
  app.use('/admin', basicAuth(api.admin), consoleRouter(api));
  app.use(notFound);
  app.use(problemHandler(api.logger));
  return app;
}
