/**
 * `/admin/payments`: the search of `GET /v1/payments` / `GET /v1/operations` as a GET form (same
 * parameter names, same validation: api/schemas.ts), newest first, a page at a time. Times typed in
 * a datetime-local field carry no zone: they are read as Taipei time; ISO 8601 with a zone works too.
 */
import type { Request } from 'express';
import type { SearchQuery } from '../../store/search.js';
import { OPERATION_KINDS, OPERATION_STATES } from '../../domain/operation/states.js';
import type { StoredOperation } from '../../store/record.js';
import type { ApiOptions } from '../deps.js';
import { operationsSearchQuerySchema } from '../schemas.js';
import { html, query, type Html } from './html.js';
import { CONSOLE_PATH, CONSOLE_ZONE, layout, localTime, money, opLink, stateBadge, time } from './layout.js';

const FIELDS = ['store_uid', 'kind', 'state', 'device_name', 'created_gte', 'created_lt', 'order_id_prefix', 'limit', 'cursor'] as const;
type Field = (typeof FIELDS)[number];
type Form = Partial<Record<Field, string>>;

const LOCAL_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)$/;

/** The form's values: strings only, trimmed, empty ones dropped (an empty field is no filter). */
export function readForm(q: Request['query']): Form {
  const form: Form = {};
  for (const f of FIELDS) {
    const v = q[f];
    if (typeof v === 'string' && v.trim() !== '') form[f] = v.trim();
  }
  return form;
}

/** A zone-less time (datetime-local) in the console's zone; anything else goes to the API's check as typed. */
function withZone(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const m = LOCAL_TIME.exec(v);
  return m ? `${m[1]}T${m[2]}${CONSOLE_ZONE}` : v;
}

type Search = Omit<SearchQuery, 'scan'>;

export function parseSearch(form: Form, stores: readonly string[]): { search?: Search; errors: { field: string; message: string }[] } {
  const kind = form.kind === undefined ? 'charge' : form.kind === 'all' ? undefined : form.kind;
  const parsed = operationsSearchQuerySchema.safeParse({
    store_uid: form.store_uid, kind, state: form.state, device_name: form.device_name,
    created_gte: withZone(form.created_gte), created_lt: withZone(form.created_lt),
    order_id_prefix: form.order_id_prefix, limit: form.limit ?? '50', cursor: form.cursor,
  });
  const errors = parsed.success ? [] : parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? '(form)'), message: i.message }));
  const store = form.store_uid ?? stores[0];
  if (store === undefined || !stores.includes(store)) errors.push({ field: 'store_uid', message: 'is not a store configured in this deployment' });
  if (!parsed.success || errors.length) return { errors };
  const q = parsed.data;
  if (q.created_gte !== undefined && q.created_lt !== undefined && q.created_gte >= q.created_lt) return { errors: [{ field: 'created_lt', message: 'must be after created_gte' }] };
  return {
    errors: [],
    search: { store: store!, kinds: q.kind, state: q.state, device: q.device_name, createdGte: q.created_gte, createdLt: q.created_lt, orderIdPrefix: q.order_id_prefix, limit: q.limit, cursor: q.cursor },
  };
}

const FIELD_LABELS: Record<string, string> = {
  store_uid: 'Store', kind: 'Kind', state: 'State', device_name: 'Terminal', created_gte: 'Created from', created_lt: 'Created before',
  order_id_prefix: 'Order id starts with', limit: 'Per page', cursor: 'Page',
};

function timeValue(v: string | undefined): string {
  const z = withZone(v);
  const ms = z === undefined ? NaN : Date.parse(z);
  return Number.isNaN(ms) ? '' : localTime(ms);
}

function filters(form: Form, stores: readonly string[]): Html {
  const opt = (value: string, label: string, current: string | undefined) => html`<option value="${value}"${(current ?? '') === value ? html` selected` : ''}>${label}</option>`;
  return html`<form class="filters" method="get" action="${CONSOLE_PATH}/payments" role="search">
${stores.length > 1 ? html`<label>Store <select name="store_uid">${stores.map((s) => opt(s, s, form.store_uid ?? stores[0]))}</select></label>` : ''}
<label>Kind <select name="kind">${opt('', 'charges', form.kind)}${opt('all', 'all operations', form.kind)}${OPERATION_KINDS.filter((k) => k !== 'charge').map((k) => opt(k, k, form.kind))}</select></label>
<label>State <select name="state">${opt('', 'any', form.state)}${OPERATION_STATES.map((s) => opt(s, s, form.state))}</select></label>
<label>Terminal <input name="device_name" value="${form.device_name ?? ''}" size="8" placeholder="A01"></label>
<label>Created from (Taipei time) <input type="datetime-local" step="1" name="created_gte" value="${timeValue(form.created_gte)}"></label>
<label>Created before (Taipei time) <input type="datetime-local" step="1" name="created_lt" value="${timeValue(form.created_lt)}"></label>
<label>Order id starts with <input name="order_id_prefix" value="${form.order_id_prefix ?? ''}" size="14"></label>
<label>Per page <select name="limit">${['20', '50', '100', '200'].map((n) => opt(n, n, form.limit ?? '50'))}</select></label>
<button type="submit">Search</button>
<a href="${CONSOLE_PATH}/payments">Clear</a>
</form>`;
}

function row(op: StoredOperation): Html {
  return html`<tr data-op="${op.id}">
<td>${time(op.created)}</td>
<td>${opLink(op.id, op.order_id ?? op.id)}${op.ref && op.kind !== 'charge' ? html`<div class="muted">${op.ref}</div>` : ''}</td>
<td>${op.kind}</td>
<td>${stateBadge(op.state, op.unknown_prc)}</td>
<td class="num">${money(op.cost)}</td>
<td>${op.device}</td>
<td>${op.prc ? html`<span class="mono">${op.prc}</span> ` : ''}${op.msg ?? ''}</td>
</tr>`;
}

export async function paymentsPage(api: ApiOptions, req: Request): Promise<Html> {
  const form = readForm(req.query);
  const { search, errors } = parseSearch(form, api.stores);
  const title = form.kind === undefined ? 'Payments' : 'Operations';
  let results: Html = html``;
  if (search) {
    const page = await api.core.search.page(search);
    const next = page.next ? `${CONSOLE_PATH}/payments${query({ ...form, cursor: page.next })}` : null;
    results = html`<p class="muted">${page.operations.length} ${page.operations.length === 1 ? 'operation' : 'operations'}, newest first${form.cursor ? html` · <a href="${CONSOLE_PATH}/payments${query({ ...form, cursor: undefined })}">first page</a>` : ''}</p>
<table class="results">
<thead><tr><th>Created</th><th>Order id</th><th>Kind</th><th>State</th><th class="num">Amount</th><th>Terminal</th><th>prc · message</th></tr></thead>
<tbody>${page.operations.length ? page.operations.map(row) : html`<tr><td colspan="7" class="muted">No operations match.</td></tr>`}</tbody>
</table>
${next ? html`<p><a rel="next" class="next" href="${next}">Next page →</a></p>` : ''}`;
  }
  const body = html`<h1>${title}</h1>
${filters(form, api.stores)}
${errors.length ? html`<div class="errors" role="alert"><strong>Check the filters:</strong><ul>${errors.map((e) => html`<li>${FIELD_LABELS[e.field] ?? e.field}: ${e.message}</li>`)}</ul></div>` : ''}
${results}`;
  return layout({ title, nav: 'payments', body });
}
