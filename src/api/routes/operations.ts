/**
 * `POST /v1/charges`, `/v1/refunds`, `/v1/reprints/invoice`, `/v1/reprints/signature` → 202 with the
 * operation record (the core's idempotency decides created vs replayed), and `GET /v1/operations/:id`.
 */
import { Router, type Request, type Response } from 'express';
import type { ChargeRequestInput } from '../../domain/schemas/requests/charge.js';
import { inputIssues, type EnqueueResult, type InvoiceReprintInput, type RefundInput, type SignatureReprintInput } from '../../producers/index.js';
import type { OperationKind } from '../../domain/operation/states.js';
import { bodyObject } from '../body.js';
import type { ApiOptions } from '../deps.js';
import { applyIdempotencyKey, idempotencyKey } from '../idempotency.js';
import { HttpProblem } from '../problem.js';
import { withStore } from '../stores.js';
import { storesOf } from '../scope.js';
import { operationView, shown } from '../views/payment.js';
import { cancelOperation } from '../../producers/cancel.js';
import { redactSecrets } from '../../domain/redact.js';
import { recheckOperation, requestRetry } from '../../producers/callbacks.js';
import { isFinalState } from '../../domain/operation/states.js';
import { parseOrThrow } from '../../domain/validation.js';
import { operationQuerySchema } from '../schemas.js';
import type { StoredOperation } from '../../store/record.js';

export function operationRoutes(api: ApiOptions): Router {
  const { core, producer } = api;
  const router = Router();

  /** The request's body for the producer: its store filled in or refused among the stores of the key (scope.ts). */
  const input = (req: Request, res: Response, kind: OperationKind, keyField: string) => {
    const stores = storesOf(res, api.stores);
    const body = applyIdempotencyKey(bodyObject(req.body), keyField, idempotencyKey(req));
    try {
      return withStore(body, stores);
    } catch (err) {
      // A store not configured: named with every other bad field of the body (nothing is looked up).
      if (!(err instanceof HttpProblem) || stores[0] === undefined) throw err;
      const others = inputIssues(kind, { ...body, store_uid: stores[0] }).filter((i) => i.field !== 'store_uid');
      throw new HttpProblem(err.status, err.code, err.title, [...err.issues, ...others]);
    }
  };

  /**
   * The operation named by the path's `:id`, of a store of this deployment, or 404. An id is usable
   * both URL-encoded once (`encodeURIComponent(id)`, as in the Location header: Express decodes it
   * back to the id) and as the API returned it, put into the path raw: ids percent-encode `.`, `/`
   * and spaces of the caller's keys (`reprint_invoice.<store>.a%2Eb%20c%2Fd`), which Express would
   * decode to another string, so the undecoded segment is tried next (when both name a record, the
   * decoded one wins: it is the documented form). Either must belong to a store the key may see
   * (one of another store is not found, like one that does not exist).
   */
  async function operationOf(req: Request, res: Response): Promise<StoredOperation> {
    const stores = storesOf(res, api.stores);
    const decoded = req.params.id;
    const raw = /^\/operations\/([^/]+)/.exec(req.path)?.[1];
    for (const id of new Set([typeof decoded === 'string' ? decoded : undefined, raw])) {
      if (!id) continue;
      const op = await core.store.get(id);
      if (op && stores.includes(op.store)) return op;
    }
    throw new HttpProblem(404, 'not_found', 'Not found', [{ field: 'id', message: 'no such operation' }]);
  }

  async function reply(res: Response, result: EnqueueResult): Promise<void> {
    const op = result.operation;
    res
      .status(202)
      .location(op.kind === 'charge' ? `/v1/payments/${encodeURIComponent(op.store_uid)}/${encodeURIComponent(op.order_id ?? '')}` : `/v1/operations/${encodeURIComponent(op.id)}`)
      .set('Idempotent-Replayed', result.created ? 'false' : 'true')
      .json({ ...op, request: redactSecrets(op.request) });
  }

  router.post('/charges', async (req, res) => {
    await reply(res, await producer.enqueueCharge(input(req, res, 'charge', 'order_id') as ChargeRequestInput));
  });
  router.post('/refunds', async (req, res) => {
    await reply(res, await producer.enqueueRefund(input(req, res, 'refund', 'refund_id') as RefundInput));
  });
  router.post('/reprints/invoice', async (req, res) => {
    await reply(res, await producer.enqueueInvoiceReprint(input(req, res, 'reprint_invoice', 'reprint_id') as InvoiceReprintInput));
  });
  router.post('/reprints/signature', async (req, res) => {
    await reply(res, await producer.enqueueSignatureReprint(input(req, res, 'reprint_signature', 'reprint_id') as SignatureReprintInput));
  });

  // `?wait=<seconds ≤ 60>`: answers as soon as the operation is final, or when the wait ends with its
  // current state. Waits share the process' one live tail of the event stream (producers/event-tail.ts).
  router.get('/operations/:id', async (req, res) => {
    const q = parseOrThrow(operationQuerySchema, { ...req.query });
    let op = await operationOf(req, res);
    if (q.wait && !isFinalState(op.state)) {
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      op = (await producer.eventTail().waitForFinal(op.id, q.wait * 1000, gone.signal)) ?? op;
      if (gone.signal.aborted && !res.writable) return;
    }
    res.json(await operationView(core, op));
  });

  // Runbook: ask the gateway again about an operation being followed up or left `unresolved`; a final
  // answer settles it, anything else changes nothing (producers/callbacks.ts).
  router.post('/operations/:id/recheck', async (req, res) => {
    const op = await operationOf(req, res);
    res.status(202).json({ id: op.id, state: op.state, result: await recheckOperation(core, op) });
  });

  // Starting a not_received operation again (never automatic): a fresh query first, then a new
  // attempt if the gateway still shows no trace of it (producers/callbacks.ts requestRetry).
  router.post('/operations/:id/retry', async (req, res) => {
    const op = await operationOf(req, res);
    const r = await requestRetry(core, op);
    if (!r.ok) throw new HttpProblem(409, 'not_retryable', 'Not retryable', [{ field: 'id', message: `${r.why} (state ${r.state})` }]);
    res.status(202).json({ id: op.id, state: op.state, result: 'retry_requested' });
  });

  // Withdrawing an operation still waiting in its terminal's line (producers/cancel.ts): 200 withdrawn,
  // or 409 with its state once it was sent — never a gateway call.
  router.post('/operations/:id/cancel', async (req, res) => {
    const op = await operationOf(req, res);
    const r = await cancelOperation(core, op);
    if (!r.ok) throw new HttpProblem(409, 'not_cancellable', 'Not cancellable', [{ field: 'id', message: `${r.why} (state ${r.state})` }]);
    res.json(shown(r.operation));
  });
  return router;
}
