/**
 * The ops console at /admin: server-rendered HTML (no script, no front-end build), behind the same
 * HTTP Basic login as Bull Board, which the app mounts in front of it. Bull Board keeps
 * /admin/queues: this router steps aside for it.
 *
 *   /admin                          what needs a person (attention list), then links
 *   /admin/payments                 search (GET form), newest first, a page at a time
 *   /admin/payments/<opId>          one operation: state, amounts, timeline, Bull Board jobs
 *   POST /admin/payments/<opId>/recheck   recheckOperation, then back with a flash (CSRF: csrf.ts)
 *   /admin/terminals                the fleet
 *   /admin/batches                  refund batch runs; /admin/batches/<id>/status.json
 */
import express, { Router, type Request } from 'express';
import { BATCH_ID_PATTERN } from '../../batch/index.js';
import type { StoredOperation } from '../../store/record.js';
import type { ApiOptions } from '../deps.js';
import { batchesPage, batchJson } from './batches.js';
import { crossOriginReason, formTokens } from './csrf.js';
import { html } from './html.js';
import { errorPage, opHref, send } from './layout.js';
import { operationPage, recheck, RECHECK_ACTION } from './operation.js';
import { overviewPage } from './overview.js';
import { paymentsPage } from './payments.js';
import { terminalsPage } from './terminals.js';

export function consoleRouter(api: ApiOptions): Router {
  const router = Router();
  const tokens = formTokens(api.admin);
  const form = express.urlencoded({ extended: false, limit: 2_048, parameterLimit: 10 });

  // Bull Board's paths: not the console's (whatever the board did not answer goes on to the app's 404).
  router.use('/queues', (_req, _res, next) => next('router'));

  /** The operation named by `:id` (Express decoded it once: links use encodeURIComponent(id)), of a store of this deployment. */
  async function operationOf(req: Request): Promise<StoredOperation | null> {
    const id = req.params.id;
    if (typeof id !== 'string' || id.length > 600) return null;
    const op = await api.core.store.get(id);
    return op && api.stores.includes(op.store) ? op : null;
  }

  router.get('/', async (_req, res) => {
    send(res, await overviewPage(api));
  });

  router.get('/payments', async (req, res) => {
    send(res, await paymentsPage(api, req));
  });

  router.get('/payments/:id', async (req, res) => {
    const op = await operationOf(req);
    if (!op) return errorPage(res, 404, 'No such operation', html`No operation <code>${req.params.id}</code> in the stores of this deployment (or its record has expired).`);
    const flash = typeof req.query.flash === 'string' ? req.query.flash : undefined;
    send(res, await operationPage(api, op, tokens, flash));
  });

  router.post('/payments/:id/recheck', form, async (req, res) => {
    const why = crossOriginReason(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const id = typeof req.params.id === 'string' ? req.params.id : '';
    if (why) return errorPage(res, 403, 'Refused', html`This form must be sent from the console itself: ${why}. Nothing was done.`);
    if (!tokens.check(RECHECK_ACTION, id, body.csrf)) return errorPage(res, 403, 'Refused', html`The form token is missing or wrong: reload the operation's page and press the button again. Nothing was done.`);
    const op = await operationOf(req);
    if (!op) return errorPage(res, 404, 'No such operation', html`No operation <code>${id}</code> in the stores of this deployment.`);
    const result = await recheck(api, op);
    api.logger.info({ op: op.id, result }, 'console: recheck');
    res.redirect(303, `${opHref(op.id)}?flash=${encodeURIComponent(result)}`);
  });

  router.get('/terminals', async (req, res) => {
    send(res, await terminalsPage(api, req));
  });

  router.get('/batches', async (req, res) => {
    send(res, await batchesPage(api, req));
  });

  router.get('/batches/:id/status.json', async (req, res) => {
    const id = req.params.id;
    const status = typeof id === 'string' && BATCH_ID_PATTERN.test(id) ? await batchJson(api, id) : null;
    res.set('Cache-Control', 'no-store');
    if (!status) {
      res.status(404).json({ error: 'no such batch' });
      return;
    }
    res.json(status);
  });

  router.use((req, res) => {
    errorPage(res, 404, 'Not found', html`The console has no page <code>${req.originalUrl}</code>.`);
  });

  // Errors of the console's own pages: an HTML page without internals (they go to the log).
  router.use((err: unknown, req: Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(err);
    const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) api.logger.error({ err, path: req.path }, 'console: page failed');
    errorPage(res, status, status === 500 ? 'Something went wrong' : 'Bad request', status === 500 ? 'The page could not be made; the log says why.' : 'The request could not be read.');
  });
  return router;
}
