/**
 * Bull Board at /admin/queues for the device and status queues, the refund-batch flow queues and the webhook deliveries (`notify`). Job names already read at a glance
 * (queues/registry.ts: "charge A01 · order 123 · NT$10"); job data is only `{opId}`, and the data and
 * return-value formatters redact secrets anyway, should one ever get there. Authentication is
 * mounted in front of it by the app.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Router } from 'express';
import { batchQueues } from '../batch/flow.js';
import { notifyQueue } from '../workers/notify/queue.js';
import type { Core } from '../queues/core.js';
import { redactSecrets } from '../domain/redact.js';
import { linePositions } from './board-lines.js';
import express from 'express';

export const BOARD_PATH = '/admin/queues';

const DESCRIPTIONS: Record<string, { displayName: string; description: string }> = {
  device: { displayName: 'device — send to terminal', description: 'One job per operation: waits its turn for the terminal, POSTs it to the gateway, records the answer' },
  status: { displayName: 'status — follow up', description: 'One job per charge/refund: querydirect on a schedule until a final prc (or unresolved)' },
  'refund-batches': { displayName: 'refund-batches — one parent per batch', description: 'Completes when every refund row of the batch is final (docs/BATCH-REFUNDS.md)' },
  'refund-batch-rows': { displayName: 'refund-batch-rows — one child per refund row', description: "Completes with its refund's final state" },
  notify: { displayName: 'notify — webhook deliveries', description: 'One job per event and endpoint: signed POST, retried with backoff for about three days, then failed (retry here, or POST /v1/webhooks/deliveries/replay); logs show each attempt (docs/WEBHOOKS.md)' },
};

export function createBoard(core: Core, opts: { readOnly: boolean }): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  const batches = batchQueues(core);
  const lines = linePositions(core);
  const queues = [core.deviceQueue, core.statusQueue, batches.batches, batches.rows, notifyQueue(core)].map((q) => {
    const adapter = new BullMQAdapter(q, { readOnlyMode: opts.readOnly, allowRetries: !opts.readOnly, ...DESCRIPTIONS[q.name] });
    adapter.setFormatter('data', (data: unknown) => redactSecrets(data));
    adapter.setFormatter('returnValue', (value: unknown) => redactSecrets(value));
    // Parked operations say where they wait ("… — waiting for terminal A05 behind 3").
    if (q.name === core.deviceQueue.name) adapter.setFormatter('name', (job: { name?: string; id?: string; data?: unknown }) => lines.name(job));
    return adapter;
  });
  createBullBoard({
    queues,
    serverAdapter,
    options: { uiConfig: { boardTitle: 'MYPAY terminals', hideDocsLink: true } },
  });
  const router = express.Router();
  router.use('/api/queues', lines.refresh);
  router.use(serverAdapter.getRouter() as Router);
  return router;
}
