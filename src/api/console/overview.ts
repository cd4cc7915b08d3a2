/** `/admin`: what needs a person first (views/attention.ts: counts per kind, each item with why and its runbook), then links. */
import type { ApiOptions } from '../deps.js';
import { ATTENTION_KINDS, attentionView, type AttentionItem, type AttentionKind } from '../views/attention.js';
import { html, query, type Html } from './html.js';
import { badge, CONSOLE_PATH, layout, money, opLink, stateBadge, time } from './layout.js';
import { BOARD_PATH } from '../board.js';

export const KIND_LABELS: Record<AttentionKind, string> = {
  needs_review: 'Needs review',
  amount_mismatch: 'Paid, amounts differ (prc 290)',
  unresolved: 'Unresolved',
  not_received: 'Not received',
  unknown_prc: 'Unknown prc codes',
  stuck_terminal: 'Terminals stuck busy',
  batch_rows_not_refunded: 'Batches with rows not refunded',
  failed_webhooks: 'Failed webhook deliveries',
};

/** Runbooks are repository paths (docs/…#section): shown as text, there is no docs server to link to. */
function runbook(path: string): Html {
  return html`<span class="muted">Runbook:</span> <code class="runbook">${path}</code>`;
}

function item(i: AttentionItem): Html {
  const op = i.operation;
  return html`<div class="card item" data-kind="${i.kind}">
<h3>${op ? opLink(op.id, i.title) : i.batch_id ? html`<a href="${CONSOLE_PATH}/batches#${encodeURIComponent(i.batch_id)}">${i.title}</a>` : i.title}</h3>
<div>${i.why}</div>
<div class="muted">
${op ? html`${stateBadge(op.state, op.unknown_prc)} ${money(op.cost)} · terminal ${op.device_name} · ` : ''}
${i.device_name && !op ? html`terminal <a href="${CONSOLE_PATH}/terminals#${encodeURIComponent(i.device_name)}">${i.device_name}</a> · ` : ''}
${i.store_uid ? html`store ${i.store_uid} · ` : ''}since ${time(i.since)}
</div>
<div>${runbook(i.runbook)}</div>
</div>`;
}

export async function overviewPage(api: ApiOptions): Promise<Html> {
  const view = await attentionView(api.core, api.stores, api.attention ?? {}, 50);
  const total = ATTENTION_KINDS.reduce((n, k) => n + view.counts[k], 0);
  const sections = ATTENTION_KINDS.filter((k) => view.counts[k] > 0).map((k) => {
    const items = view.items.filter((i) => i.kind === k);
    const more = view.counts[k] - items.length;
    const search = k === 'needs_review' || k === 'amount_mismatch' || k === 'unresolved' || k === 'not_received'
      ? html` · <a href="${CONSOLE_PATH}/payments${query({ kind: 'all', state: k === 'amount_mismatch' ? 'needs_review' : k })}">search them</a>`
      : '';
    return html`<section id="${k}">
<h2>${KIND_LABELS[k]} <span class="muted">(${view.counts[k]})</span></h2>
${items.map(item)}
${more > 0 ? html`<p class="muted">and ${more} more${search}</p>` : ''}
</section>`;
  });
  const body = html`<h1>Needs attention</h1>
<div class="counts">${ATTENTION_KINDS.map((k) =>
    view.counts[k] > 0
      ? html`<a class="hot" href="#${k}" data-kind="${k}">${KIND_LABELS[k]}: <strong>${view.counts[k]}</strong></a>`
      : html`<span class="muted" data-kind="${k}">${KIND_LABELS[k]}: 0</span>`,
  )}</div>
${total === 0 ? html`<div class="card">${badge('green', 'Nothing needs a person right now', '✓ ')}</div>` : sections}
<h2>Console</h2>
<ul class="links">
<li><a href="${CONSOLE_PATH}/payments">Payments</a> — search charges by state, terminal, time and order id</li>
<li><a href="${CONSOLE_PATH}/payments?kind=all">All operations</a> — charges, refunds and reprints</li>
<li><a href="${CONSOLE_PATH}/terminals">Terminals</a> — the fleet: busy or idle, the operation in flight, the line behind it</li>
<li><a href="${CONSOLE_PATH}/batches">Refund batches</a> — batch runs and their progress</li>
<li><a href="${BOARD_PATH}">Bull Board</a> — the queues and their jobs</li>
<li><a href="/metrics">Metrics</a> (Prometheus) · <a href="/v1/openapi.json">OpenAPI</a></li>
</ul>`;
  return layout({ title: 'Attention', nav: 'overview', body });
}
