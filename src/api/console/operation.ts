/**
 * `/admin/payments/<opId>`: one operation (a charge with its refunds and reprints, or a refund or a
 * reprint with its charge): state, amounts, gateway answer, review reason, the audit trail as a
 * timeline, its Bull Board jobs, and a recheck button (POST, CSRF-checked: csrf.ts) for an
 * operation a status query may still settle.
 */
import { isSecretField } from '../../domain/redact.js';
import { prcLabel } from '../../domain/prc.js';
import { recheckOperation } from '../../producers/callbacks.js';
import type { AuditEntry } from '../../store/operations.js';
import type { OperationRecord, StoredOperation } from '../../store/record.js';
import type { ApiOptions } from '../deps.js';
import { operationView, paymentView, type OperationView, type PaymentView } from '../views/payment.js';
import type { FormTokens } from './csrf.js';
import { html, type Html, type Part } from './html.js';
import { boardJobHref, layout, money, opHref, opLink, stateBadge, time } from './layout.js';

/** States a status query may still settle (producers/callbacks.ts recheckOperation: the rest answer not_followed_up). */
const RECHECKABLE = new Set(['accepted', 'unknown', 'pending', 'unresolved', 'not_received']);

export function recheckable(op: Pick<StoredOperation, 'kind' | 'state'>): boolean {
  return (op.kind === 'charge' || op.kind === 'refund') && RECHECKABLE.has(op.state);
}

export const RECHECK_ACTION = 'recheck';

/** Flash messages after a redirect, by a fixed code (nothing of the query string is echoed). */
export const FLASH: Record<string, { text: string; warn?: boolean }> = {
  queried: { text: 'Recheck requested: the status query runs now. A final answer from the gateway settles the operation; reload in a moment.' },
  not_followed_up: { text: 'Nothing to recheck: this operation is not being followed up any more (its state is final).', warn: true },
};

/** Any data with every secret field left out (the views redact them already; the console does not even show the name). */
export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20) return '…';
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([k]) => !isSecretField(k)).map(([k, v]) => [k, withoutSecrets(v, depth + 1)]));
  }
  return value;
}

const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

/** One line a person reads for an audit entry; the full data (secrets left out) is under it. */
export function summarize(entry: AuditEntry, op: Pick<OperationRecord, 'uid' | 'order_id'>): string {
  const d = asObject(entry.data);
  const parts: string[] = [];
  switch (entry.event) {
    case 'request':
      parts.push(`POST ${str(d.cmd) ?? 'command'}`);
      if (d.attempt !== undefined) parts.push(`attempt ${str(d.attempt)}`);
      break;
    case 'answer':
      if (d.code) parts.push(`${str(d.code)}${d.msg ? ` ${str(d.msg)}` : ''}`);
      if (d.error) parts.push(`error ${str(d.error)}`);
      if (d.latencyMs !== undefined) parts.push(`${str(d.latencyMs)} ms`);
      break;
    case 'query': {
      const answer = asObject(d.answer);
      const rows = Array.isArray(answer.rows) ? answer.rows.map(asObject) : [];
      const ours = rows.filter((r) => (op.uid && r.uid === op.uid) || (op.order_id && r.order_id === op.order_id));
      parts.push(`querydirect ${str(answer.code) ?? ''}`.trim());
      for (const r of ours.length ? ours : rows.slice(0, 3)) parts.push(`prc ${str(r.prc) ?? '?'}${r.retmsg ? ` ${str(r.retmsg)}` : ''}`);
      if (!rows.length && answer.msg) parts.push(String(str(answer.msg)));
      if (d.error) parts.push(`error ${str(d.error)}`);
      break;
    }
    default:
      for (const k of ['state', 'from', 'to', 'prc', 'code', 'msg', 'reason', 'error', 'why']) if (d[k] !== undefined && typeof d[k] !== 'object') parts.push(`${k} ${str(d[k])}`);
  }
  return parts.join(' · ');
}

function timeline(entries: readonly AuditEntry[], op: OperationRecord): Html {
  if (!entries.length) return html`<p class="muted">No audit entries (expired, or nothing happened yet).</p>`;
  return html`<ol class="timeline">${entries.map((e) => {
    const data = withoutSecrets(e.data);
    const summary = summarize(e, op);
    return html`<li data-event="${e.event}"><div class="when">${time(e.at)}</div>
<div><span class="event">${e.event}</span>${summary ? html` — ${summary}` : ''}</div>
${data !== undefined && data !== null ? html`<details><summary class="muted">data</summary><pre>${JSON.stringify(data, null, 2)}</pre></details>` : ''}
</li>`;
  })}</ol>`;
}

function related(title: string, ops: readonly OperationRecord[]): Html {
  if (!ops.length) return html``;
  return html`<h2>${title}</h2><table><thead><tr><th>Created</th><th>Id</th><th>Kind</th><th>State</th><th class="num">Amount</th><th>prc · message</th></tr></thead><tbody>
${ops.map((o) => html`<tr><td>${time(o.created_at)}</td><td>${opLink(o.id, o.reference ?? o.id)}</td><td>${o.kind}</td><td>${stateBadge(o.state, o.unknown_prc)}</td><td class="num">${money(o.cost)}</td><td>${o.prc ?? ''} ${o.message ?? ''}</td></tr>`)}
</tbody></table>`;
}

function items(request: Record<string, unknown>): Html {
  const list = Array.isArray(request.items) ? request.items.map(asObject) : [];
  if (!list.length) return html``;
  return html`<h2>Items</h2><table class="items"><thead><tr><th>Id</th><th>Name</th><th class="num">Price</th><th class="num">Qty</th><th class="num">Total</th></tr></thead><tbody>
${list.map((i) => html`<tr><td>${str(i.id) ?? ''}</td><td>${str(i.name) ?? ''}</td><td class="num">${str(i.cost) ?? ''}</td><td class="num">${str(i.amount) ?? ''}</td><td class="num">${str(i.total) ?? ''}</td></tr>`)}
</tbody></table>`;
}

function fact(label: string, value: Part): Html {
  return value === undefined || value === null || value === '' ? html`` : html`<dt>${label}</dt><dd>${value}</dd>`;
}

export async function operationPage(api: ApiOptions, stored: StoredOperation, tokens: FormTokens, flash?: string): Promise<Html> {
  const view: OperationView | PaymentView =
    stored.kind === 'charge' && stored.order_id !== undefined
      ? ((await paymentView(api.core, stored.store, stored.order_id)) ?? (await operationView(api.core, stored)))
      : await operationView(api.core, stored);
  const payment = 'refunds' in view ? (view as PaymentView) : null;
  const op = view;
  const prcText = op.prc ? `${op.prc}${prcLabel(op.prc) ? ` (${prcLabel(op.prc)})` : ''}` : undefined;
  const balance = op.kind === 'charge' && op.cost !== undefined ? op.cost - (op.refunded_amount ?? 0) - (op.reserved_amount ?? 0) : undefined;
  const deviceQueue = api.core.deviceQueue.name;
  const statusQueue = api.core.statusQueue.name;
  const followed = op.kind === 'charge' || op.kind === 'refund';
  const review = op.review ?? (op.state !== 'needs_review' ? undefined : op.prc === '290'
    ? `the gateway says paid but the amounts differ (prc 290${op.message ? `, ${op.message}` : ''}): compare the amount at the gateway with the order and settle the difference with the customer`
    : (op.message ?? 'a person must look: see the audit trail'));
  const heading = op.kind === 'charge' ? `Charge ${op.order_id ?? op.id}` : `${op.kind} ${op.reference ?? op.id}`;

  const body = html`<h1>${heading} ${stateBadge(op.state, op.unknown_prc)}</h1>
${review ? html`<div class="errors" role="alert"><strong>Review:</strong> ${review}</div>` : ''}
<div class="card"><dl class="facts">
${fact('Operation id', html`<span class="mono">${op.id}</span>`)}
${fact('Kind', op.kind)}
${fact('State', stateBadge(op.state, op.unknown_prc))}
${fact('Store', op.store_uid)}
${fact('Terminal', op.device_name)}
${fact('Order id', op.order_id)}
${fact(op.kind === 'refund' ? 'Refund id' : 'Reprint id', op.kind === 'charge' ? undefined : op.reference)}
${fact('Charge', op.charge_id ? opLink(op.charge_id) : undefined)}
${fact('Amount', money(op.cost))}
${op.kind === 'charge' ? html`${fact('Refunded', money(op.refunded_amount ?? 0))}${fact('Reserved (refunds under way)', money(op.reserved_amount ?? 0))}${fact('Refundable', money(balance))}` : ''}
${fact('uid', op.uid ? html`<span class="mono">${op.uid}</span>` : undefined)}
${fact('Refund uid', op.refund_uid)}
${fact('prc', prcText)}
${fact('Message', op.message)}
${fact('Unknown prc', op.unknown_prc)}
${fact('Batch', op.batch_id)}
${fact('Lane', op.lane)}
${fact('POSTs · attempt · polls', `${op.posts} · ${op.attempt} · ${op.polls}`)}
${fact('Created', time(op.created_at))}
${fact('Sent', op.sent_at ? time(op.sent_at) : undefined)}
${fact('Accepted', op.accepted_at ? time(op.accepted_at) : undefined)}
${fact('Finished', op.finished_at ? time(op.finished_at) : undefined)}
${fact('Updated', time(op.updated_at))}
</dl></div>
${recheckable(stored)
    ? html`<form method="post" action="${opHref(op.id)}/recheck" class="card">
<input type="hidden" name="csrf" value="${tokens.token(RECHECK_ACTION, op.id)}">
<button type="submit">Recheck now</button>
<span class="muted">asks the gateway (querydirect) about this ${op.kind} now; only a final answer changes it (docs/OPERATIONS.md §9)</span>
</form>`
    : ''}
<div class="card">Bull Board: <a href="${boardJobHref(deviceQueue, op.id)}">device job</a>${followed ? html` · <a href="${boardJobHref(statusQueue, `${op.id}.status`)}">follow-up (status) job</a>` : ''}
<span class="muted"> · JSON: <code>GET /v1/operations/${encodeURIComponent(op.id)}</code></span></div>
${items(op.request)}
${payment ? related('Refunds', payment.refunds) : ''}
${payment ? related('Reprints', payment.reprints) : ''}
<h2>Audit trail</h2>
${timeline(op.audit, op)}`;
  return layout({ title: heading, nav: 'payments', body, flash: flash && Object.hasOwn(FLASH, flash) ? FLASH[flash] : undefined });
}

/** Runs the recheck; the code of the flash message to redirect with. */
export async function recheck(api: ApiOptions, op: StoredOperation): Promise<string> {
  return recheckOperation(api.core, op);
}
