/**
 * OpenAPI 3.1 document, generated from the zod schemas with zod 4's own `z.toJSONSchema` (JSON
 * Schema 2020-12, which OpenAPI 3.1 uses as is): request bodies as their input type, answers as
 * output. Built once at start-up.
 */
import { z } from 'zod';
import * as s from './schemas.js';

type Json = Record<string, unknown>;

function registryOf(entries: Record<string, z.ZodType>, io: 'input' | 'output'): Json {
  const reg = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(entries)) reg.add(schema, { id });
  const out = z.toJSONSchema(reg, { io, unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, Json> };
  return Object.fromEntries(Object.entries(out.schemas).map(([id, js]) => {
    const { $schema: _s, $id: _i, ...rest } = js;
    return [id, rest];
  }));
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (id: string) => ({ 'application/json': { schema: ref(id) } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const idempotencyHeader = (field: string) => ({
  name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 },
  description: `Fills ${field} when the body has none; must equal it when both are given (else 400).`,
});
const accepted = (what: string) => ({
  202: {
    description: `${what} recorded (or, with the same key and parameters, the existing one: Idempotent-Replayed: true)`,
    headers: { 'Idempotent-Replayed': { schema: { type: 'string', enum: ['true', 'false'] } }, Location: { schema: { type: 'string' } } },
    content: json('Operation'),
  },
  400: problem('Invalid field(s), named in errors[]'),
  401: problem('Missing or wrong API key'),
  409: problem('Idempotency key already used with other parameters'),
  413: problem('Body larger than the limit'),
  415: problem('Body is not JSON'),
});

/** The answers of a refund or reprint whose charge has no payment to act on (producers/errors.ts chargeNotPaid). */
const notPaid = (act: string) => ({
  409: problem('Idempotency key already used with other parameters; or (code charge_not_paid_yet, retryable) the charge is still in flight: ask again once it is paid'),
  422: problem(`The charge ended without a payment (code charge_not_paid: rejected, failed, withdrawn, declined, …): nothing to ${act}`),
});

function enqueue(summary: string, body: string, field: string, extra: Json = {}) {
  return {
    post: {
      summary,
      parameters: [idempotencyHeader(field)],
      requestBody: { required: true, content: json(body) },
      responses: { ...accepted(summary), ...extra },
    },
  };
}

function searchPath(summary: string, withKind: boolean) {
  const q = (name: string, schema: Json, description: string) => ({ name, in: 'query', required: false, schema, description });
  return {
    get: {
      summary,
      parameters: [
        q('store_uid', { type: 'string' }, 'Required when several stores are configured'),
        ...(withKind ? [q('kind', { type: 'string' }, 'Comma-separated: charge, refund, reprint_invoice, reprint_signature')] : []),
        q('state', { type: 'string' }, 'One state (Operation.state)'),
        q('device_name', { type: 'string' }, 'One terminal'),
        q('created_gte', { type: 'string', format: 'date-time' }, 'Created at or after: ISO 8601 with a zone (Z or ±hh:mm)'),
        q('created_lt', { type: 'string', format: 'date-time' }, 'Created before: ISO 8601 with a zone'),
        q('order_id_prefix', { type: 'string' }, "order_id starts with (refunds and reprints: their charge's)"),
        q('limit', { type: 'integer', minimum: 1, maximum: 200, default: 50 }, 'Page size'),
        q('cursor', { type: 'string' }, 'next_cursor of the previous page'),
      ],
      responses: {
        200: { description: 'A page. Each page reads a bounded number of index entries (an index by state or terminal when those filters are given); with a prefix filter a page may be short while next_cursor is set', content: json('SearchResult') },
        400: problem('Bad query (every bad parameter named)'),
        401: problem('Missing or wrong API key'),
        404: problem('Store not configured'),
      },
    },
  };
}

export function buildOpenApi(): Json {
  const schemas = {
    ...registryOf({ ChargeBody: s.chargeBodySchema, RefundBody: s.refundBodySchema, InvoiceReprintBody: s.invoiceReprintBodySchema, SignatureReprintBody: s.signatureReprintBodySchema, CallbackBody: s.callbackBodySchema }, 'input'),
    ...registryOf({ Operation: s.operationRecordSchema, AuditEntry: s.auditEntrySchema, OperationWithAudit: s.operationViewSchema, Payment: s.paymentViewSchema, Device: s.deviceViewSchema, DeviceList: s.devicesListSchema, CallbackResult: s.callbackResultSchema, Problem: s.problemSchema, Event: s.eventSchema, EventList: s.eventListSchema, SearchResult: s.searchResultSchema, RefundBatchObject: s.refundBatchObjectSchema }, 'output'),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'MYPAY LINK terminal orchestrator',
      version: '1',
      description: 'Enqueue charges, refunds and reprints on MYPAY LINK terminals; one operation per terminal at a time, followed up to a final state.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A key from API_KEYS (every store, write) or API_KEYS_FILE (its stores; role read: GET only, 403 otherwise). Another store\'s operations, events, terminals and batches answer 404, as if not configured' } }, schemas },
    webhooks: {
      event: {
        post: {
          summary: 'Every event, POSTed to each subscribed endpoint (Standard Webhooks: webhook-id = the event id, webhook-timestamp, webhook-signature = v1,<HMAC-SHA256 of id.timestamp.body> per valid secret); answer 2xx within the timeout. At least once, in order per operation: a duplicate has the same webhook-id.',
          security: [],
          parameters: [
            { name: 'webhook-id', in: 'header', required: true, schema: { type: 'string' } },
            { name: 'webhook-timestamp', in: 'header', required: true, schema: { type: 'string' }, description: 'Unix seconds' },
            { name: 'webhook-signature', in: 'header', required: true, schema: { type: 'string' }, description: 'Space-separated v1,<base64> signatures (two while a secret is rotated)' },
          ],
          requestBody: { required: true, content: json('Event') },
          responses: { 200: { description: 'Delivered (any 2xx)' }, 500: { description: 'Anything else, or no answer in time: retried with backoff for about three days' } },
        },
      },
    },
    paths: {
      '/v1/charges': enqueue('Start a charge on a terminal', 'ChargeBody', 'order_id'),
      '/v1/refunds': enqueue('Refund (part of) a charge', 'RefundBody', 'refund_id', {
        409: problem('Idempotency key already used with other parameters; or (code charge_not_paid_yet, retryable) the charge is still in flight: ask again once it is paid'),
        422: problem('Refund exceeds the refundable balance; or (code charge_not_paid) the charge ended without a payment (rejected, failed, withdrawn, declined, …): nothing to refund'),
      }),
      '/v1/reprints/invoice': enqueue('Reprint the invoice of a charge', 'InvoiceReprintBody', 'reprint_id', notPaid('reprint')),
      '/v1/reprints/signature': enqueue('Reprint the signature slip of a charge', 'SignatureReprintBody', 'reprint_id', notPaid('reprint')),
      '/v1/payments/{store_uid}/{order_id}': {
        get: {
          summary: 'A charge with its refunds, reprints and audit trail (secrets redacted)',
          parameters: [
            { name: 'store_uid', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'order_id', in: 'path', required: true, schema: { type: 'string' } },
          ],
          responses: { 200: { description: 'The payment', content: json('Payment') }, 401: problem('Missing or wrong API key'), 404: problem('No such charge') },
        },
      },
      '/v1/operations/{id}': {
        get: {
          summary: 'Any operation (charge, refund, reprint) by id, with its audit trail; with ?wait=, held until it is final',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'As the API returned it: raw, or URL-encoded once (encodeURIComponent, as in the Location header)' },
            {
              name: 'wait', in: 'query', required: false, schema: { type: 'number', minimum: 0, maximum: 60 },
              description: 'Seconds to hold the request: answered as soon as the operation is final (within tens of milliseconds of its final state), or when the wait ends with its current state. Waits cost no Redis polling (one live tail of the event stream per API process).',
            },
          ],
          responses: { 200: { description: 'The operation (final, or as it is when the wait ended: check state)', content: json('OperationWithAudit') }, 400: problem('Bad wait'), 401: problem('Missing or wrong API key'), 404: problem('No such operation') },
        },
      },
      '/v1/operations/{id}/recheck': {
        post: {
          summary: 'Query the gateway now about a charge/refund being followed up, unresolved or not_received; only a final answer (a row of ours) changes it',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            202: { description: '`result`: queried | not_followed_up', content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' }, state: { type: 'string' }, result: { type: 'string', enum: ['queried', 'not_followed_up'] } }, required: ['id', 'state', 'result'] } } } },
            401: problem('Missing or wrong API key'),
            404: problem('No such operation'),
          },
        },
      },
      '/v1/operations/{id}/retry': {
        post: {
          summary: 'Start a not_received charge/refund again (never automatic): one more query first — a row found there settles it (flagged as a late row) and nothing is sent; with still no trace, a new attempt at the end of its terminal\'s line',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            202: { description: 'Retry requested; the record shows what followed (`attempt` counts explicit retries)', content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' }, state: { type: 'string' }, result: { type: 'string', enum: ['retry_requested'] } }, required: ['id', 'state', 'result'] } } } },
            401: problem('Missing or wrong API key'),
            404: problem('No such operation'),
            409: problem('Not retryable: only a not_received charge or refund can be retried (its state is named)'),
          },
        },
      },
      '/v1/operations/{id}/cancel': {
        post: {
          summary: "Withdraw an operation still waiting in its terminal's line (never sent): withdrawn (final), its place freed, a refund's reservation released, its event sent. Races the worker's claim safely: exactly one wins",
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: { description: 'Withdrawn', content: json('Operation') },
            401: problem('Missing or wrong API key'),
            404: problem('No such operation'),
            409: problem('Sent already, or final (its state is named); nothing changed and the gateway was not called'),
          },
        },
      },
      '/v1/devices': {
        get: {
          summary: 'Terminals: idle or busy, operation in flight, waiting count, last answer',
          parameters: [
            { name: 'store_uid', in: 'query', required: false, schema: { type: 'string' } },
            { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } },
          ],
          responses: { 200: { description: 'The configured terminals (also those never used) and, for a store without a list, every terminal that took work; by name in natural order (A2 before A10)', content: json('DeviceList') }, 400: problem('Bad query'), 401: problem('Missing or wrong API key') },
        },
      },
      '/v1/payments': searchPath('Charges of a store, newest first, filtered; a page at a time', false),
      '/v1/operations': searchPath('Operations of every kind (charges, refunds, reprints) of a store, newest first, filtered; a page at a time', true),
      '/v1/refund-batches': {
        post: {
          summary: 'Refund many charges in one run (docs/BATCH-REFUNDS.md): every row validated first (422 with every bad row, nothing enqueued), then enqueued in bulk on the batch lane; a re-exported file is recognised (its rows are not refunded again)',
          parameters: [
            { name: 'batch_id', in: 'query', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$' }, description: 'Your id of the run (default: derived from the file)' },
            { name: 'store_uid', in: 'query', required: false, schema: { type: 'string' } },
            { name: 'skip_invalid', in: 'query', required: false, schema: { type: 'string', enum: ['1', 'true'] }, description: 'Enqueue the valid rows and report the others, instead of refusing the batch' },
            { name: 'dry_run', in: 'query', required: false, schema: { type: 'string', enum: ['1', 'true'] }, description: 'Validate only: 200, nothing written' },
          ],
          requestBody: {
            required: true,
            content: {
              'text/csv': { schema: { type: 'string' }, example: 'order_id,cost,refund_id\n1001,50,\n1002,120,r-1002' },
              'application/json': { schema: { type: 'object', properties: { rows: { type: 'array', items: { type: 'object', properties: { order_id: { type: 'string' }, uid: { type: 'string' }, cost: { type: ['integer', 'string'] }, refund_id: { type: 'string' } } } }, batch_id: { type: 'string' }, store_uid: { type: 'string' }, skip_invalid: { type: 'boolean' }, dry_run: { type: 'boolean' } } } },
            },
          },
          responses: {
            202: { description: 'Enqueued: `{batch_id, rows, valid, enqueued, existing, already_submitted, skipped, not_enqueued, issues, status_url}`; Location: the batch' },
            200: { description: 'A dry run (`dry_run: true`), or every row already submitted by an earlier batch (`all_seen: true`, nothing enqueued)' },
            400: problem('No body, or a bad batch id'),
            401: problem('Missing or wrong API key'),
            409: problem('The batch id belongs to another file'),
            413: problem('Body larger than the batch limit'),
            422: problem('Rows refused (each row and field named); nothing enqueued'),
          },
        },
      },
      '/v1/refund-batches/{id}': {
        get: {
          summary: 'A batch: state (enqueuing, running, complete), counts by row state and per-row results; Accept: text/csv (or ?format=csv) answers the results CSV',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['csv'] } },
          ],
          responses: {
            200: { description: '`{batch_id, store_uid, state, rows_total, final, counts, parent, created_at, enqueued_at?, completed_at?, rows: [{row, order_id, refund_id, state, prc, refund_uid, message}]}`, or the CSV', content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } } } },
            401: problem('Missing or wrong API key'),
            404: problem('No such batch'),
          },
        },
      },
      '/v1/attention': {
        get: {
          summary: 'Everything a person must act on: needs_review, amount mismatch (prc 290), unresolved, not_received, unknown prc codes, terminals stuck busy past their lease, refund batches with rows not refunded, failed webhook deliveries — each with why and its runbook step',
          parameters: [
            { name: 'store_uid', in: 'query', required: false, schema: { type: 'string' } },
            { name: 'per_kind', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 }, description: 'Items of each kind at most (counts are complete)' },
          ],
          responses: {
            200: {
              description: '`counts` per kind and the newest `per_kind` items of each: `{kind, title, why, runbook, store_uid?, operation?, device_name?, batch_id?, since?}`',
              content: { 'application/json': { schema: { type: 'object', properties: { counts: { type: 'object', additionalProperties: { type: 'integer' } }, per_kind: { type: 'integer' }, items: { type: 'array', items: { type: 'object', properties: { kind: { type: 'string' }, title: { type: 'string' }, why: { type: 'string' }, runbook: { type: 'string' } }, required: ['kind', 'title', 'why', 'runbook'] } } }, required: ['counts', 'items'] } } },
            },
            400: problem('Bad query'),
            401: problem('Missing or wrong API key'),
          },
        },
      },
      '/v1/events': {
        get: {
          summary: 'The event feed: events oldest first after a cursor, kept for the record retention (catch up after an endpoint outage, or consume events without a public endpoint)',
          parameters: [
            { name: 'store_uid', in: 'query', required: false, schema: { type: 'string' }, description: 'One store (default: the only configured store, else all)' },
            { name: 'type', in: 'query', required: false, schema: { type: 'string' }, description: 'Comma-separated event types' },
            { name: 'after', in: 'query', required: false, schema: { type: 'string', pattern: '^evt_\\d+-\\d+$' }, description: 'Cursor: an event id (next_cursor of the previous page); from the oldest when absent' },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
          ],
          responses: { 200: { description: 'A page; with a type filter a page looks at a bounded number of events, so it may hold fewer than limit while has_more', content: json('EventList') }, 400: problem('Bad query (every bad parameter named)'), 401: problem('Missing or wrong API key'), 404: problem('Store not configured') },
        },
      },
      '/v1/callbacks/mypay': {
        post: {
          summary: "The gateway's result callback (回報): a hint to query the order now; never changes a state by itself",
          security: [],
          parameters: [
            { name: 'store_uid', in: 'query', required: false, schema: { type: 'string' }, description: 'Which store the callback is for; else every configured store it may concern is tried' },
            { name: 'secret', in: 'query', required: false, schema: { type: 'string' }, description: "The store's callback_secret, when it has one (or the X-Mypay-Callback-Secret header)" },
            { name: 'X-Mypay-Callback-Secret', in: 'header', required: false, schema: { type: 'string' }, description: "The store's callback_secret, when it has one" },
          ],
          requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: ref('CallbackBody') }, 'application/json': { schema: ref('CallbackBody') } } },
          responses: {
            200: { description: 'What the hint did (at most one gateway query per order per CALLBACK_COALESCE_MS)', content: json('CallbackResult') },
            400: problem('No order_id, or a store not configured'),
            401: problem("The store's callback secret is missing or wrong; nothing was looked up"),
            415: problem('Neither form nor JSON'),
            429: problem('Too many callbacks from this address (Retry-After says when to try again)'),
          },
        },
      },
      '/healthz': { get: { summary: 'The process answers', security: [], responses: { 200: { description: 'ok' } } } },
      '/readyz': { get: { summary: 'Redis answers and in-process workers run', security: [], responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { 200: { description: 'text exposition format', content: { 'text/plain': {} } } } } },
    },
  };
}
