/**
 * `/admin/batches`: refund batch runs, newest first (batch/store.ts listBatches), each with its
 * progress (batch/status.ts getBatchStatus: rows, final, counts by state, state), a link to its JSON
 * status (`/admin/batches/<id>/status.json`, the body of `GET /v1/refund-batches/{id}` behind the
 * console's login) and to its parent job in Bull Board.
 */
import type { Request } from 'express';
import { BATCH_QUEUES, getBatchStatus, listBatches, parentJobId, type BatchStatus } from '../../batch/index.js';
import type { ApiOptions } from '../deps.js';
import { html, query, type Html } from './html.js';
import { badge, boardJobHref, CONSOLE_PATH, layout, stateBadge, time } from './layout.js';

const PAGE = 20;

export const batchJsonHref = (id: string) => `${CONSOLE_PATH}/batches/${encodeURIComponent(id)}/status.json`;

function progress(b: BatchStatus): Html {
  const pct = b.rows_total ? Math.round((100 * b.final) / b.rows_total) : 100;
  return html`<span class="bar" title="${pct}%"><span style="width:${pct}%"></span></span> ${b.final} / ${b.rows_total} final`;
}

function batchState(b: BatchStatus): Html {
  const notRefunded = Object.entries(b.counts).filter(([s]) => s !== 'refunded').reduce((n, [, c]) => n + (c ?? 0), 0);
  if (b.state === 'complete') return notRefunded ? badge('amber', `complete · ${notRefunded} not refunded`, '! ') : badge('green', 'complete', '✓ ');
  return badge('grey', b.state, '… ');
}

export async function batchesPage(api: ApiOptions, req: Request): Promise<Html> {
  const offset = typeof req.query.offset === 'string' && /^\d{1,6}$/.test(req.query.offset) ? Number(req.query.offset) : 0;
  const ids = await listBatches(api.core, offset, PAGE + 1);
  const statuses = (await Promise.all(ids.slice(0, PAGE).map((id) => getBatchStatus(api.core, id)))).filter(
    (b): b is BatchStatus => b !== null && (b.store_uid === undefined || api.stores.includes(b.store_uid)),
  );
  const rows = statuses.map((b) => html`<tr id="${b.batch_id}" data-batch="${b.batch_id}">
<td><a href="${batchJsonHref(b.batch_id)}" class="mono">${b.batch_id}</a>${b.store_uid ? html`<div class="muted">store ${b.store_uid}</div>` : ''}</td>
<td>${time(b.created_at)}</td>
<td>${batchState(b)}</td>
<td class="num">${b.rows_total}</td>
<td>${progress(b)}</td>
<td>${Object.entries(b.counts).sort(([a], [c]) => a.localeCompare(c)).map(([s, n]) => html`${stateBadge(s)} ${n} `)}</td>
<td>${b.completed_at ? time(b.completed_at) : html`<span class="muted">—</span>`}</td>
<td><a href="${batchJsonHref(b.batch_id)}">JSON status</a> · <a href="${boardJobHref(BATCH_QUEUES.batches, parentJobId(b.batch_id))}">parent job</a></td>
</tr>`);
  const body = html`<h1>Refund batches</h1>
<p class="muted">Newest first. Run one with <code>npx mypay refunds run file.csv</code> or <code>POST /v1/refund-batches</code> (docs/BATCH-REFUNDS.md); the rows of a batch are in its JSON status.</p>
<table class="batches">
<thead><tr><th>Batch</th><th>Created</th><th>State</th><th class="num">Rows</th><th>Progress</th><th>Rows by state</th><th>Completed</th><th></th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8" class="muted">No refund batches${offset ? ' on this page' : ''}.</td></tr>`}</tbody>
</table>
<p>${offset > 0 ? html`<a href="${CONSOLE_PATH}/batches${query({ offset: Math.max(0, offset - PAGE) || undefined })}">← newer</a> ` : ''}${ids.length > PAGE ? html`<a rel="next" href="${CONSOLE_PATH}/batches${query({ offset: offset + PAGE })}">older →</a>` : ''}</p>`;
  return layout({ title: 'Refund batches', nav: 'batches', body });
}

/** The JSON status of one batch with its rows, or null (no such batch, or not of a store of this deployment). */
export async function batchJson(api: ApiOptions, id: string): Promise<BatchStatus | null> {
  const status = await getBatchStatus(api.core, id, { rows: true });
  if (!status || (status.store_uid !== undefined && !api.stores.includes(status.store_uid))) return null;
  return status;
}
