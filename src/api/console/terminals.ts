/**
 * `/admin/terminals`: the fleet (views/devices.ts devicesView: the configured terminals, and those that have taken work),
 * sorted by name: idle or busy, the operation in flight and for how long, the line behind it.
 * `?refresh=<s>` reloads the page every few seconds (a <meta refresh>, no script).
 */
import type { Request } from 'express';
import type { ApiOptions } from '../deps.js';
import { devicesView, type DeviceView } from '../views/devices.js';
import { html, type Html } from './html.js';
import { badge, CONSOLE_PATH, duration, layout, money, opLink, stateBadge, time } from './layout.js';

const byName = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
const SHOWN_IN_LINE = 5;

export function sortTerminals(devices: DeviceView[]): DeviceView[] {
  return [...devices].sort((a, b) => byName.compare(a.device_name, b.device_name) || byName.compare(a.store_uid, b.store_uid));
}

export async function terminalsPage(api: ApiOptions, req: Request): Promise<Html> {
  const refresh = typeof req.query.refresh === 'string' && /^\d{1,3}$/.test(req.query.refresh) ? Math.max(2, Number(req.query.refresh)) : undefined;
  const devices = sortTerminals(await devicesView(api.core, { stores: api.stores, terminals: api.terminals, offset: 0, limit: 1_000 }));
  // When each operation in flight took its terminal (its first POST), for "busy for how long".
  const holders = await api.core.store.getMany(devices.flatMap((d) => (d.in_flight ? [d.in_flight.id] : [])));
  const since = new Map(holders.flatMap((o) => (o ? [[o.id, o.first_sent ?? o.sent ?? o.updated] as const] : [])));
  const now = api.core.now();
  const busy = devices.filter((d) => d.status === 'busy').length;
  const waiting = devices.reduce((n, d) => n + d.waiting, 0);
  const stores = new Set(devices.map((d) => d.store_uid)).size;

  const rows = devices.map((d) => {
    const f = d.in_flight;
    const held = f ? since.get(f.id) : undefined;
    const more = d.waiting - Math.min(SHOWN_IN_LINE, d.next_in_line.length);
    return html`<tr id="${d.device_name}" data-terminal="${d.device_name}" data-status="${d.status}">
<td><strong>${d.device_name}</strong>${stores > 1 ? html`<div class="muted">${d.store_uid}</div>` : ''}</td>
<td>${d.status === 'busy' ? badge('amber', 'busy', '● ') : badge('grey', 'idle', '○ ')}</td>
<td>${f
      ? html`${opLink(f.id, f.order_id ? `${f.kind ?? 'operation'} ${f.order_id}` : f.id)} ${f.state ? stateBadge(f.state) : ''} ${money(f.cost)}`
      : html`<span class="muted">—</span>`}</td>
<td class="num">${held !== undefined ? html`<span class="held">${duration(now - held)}</span>` : html`<span class="muted">—</span>`}</td>
<td class="num waiting">${d.waiting}</td>
<td>${d.next_in_line.slice(0, SHOWN_IN_LINE).map((id, i) => html`${i ? ', ' : ''}${opLink(id)}`)}${more > 0 ? html` <span class="muted">+${more} more</span>` : ''}</td>
<td>${d.last_answer_code ? html`<span class="mono">${d.last_answer_code}</span> ` : ''}${time(d.last_answer_at)}</td>
</tr>`;
  });
  const body = html`<h1>Terminals</h1>
<p class="muted">${devices.length} terminals · ${busy} busy · ${waiting} operations waiting in line ·
${refresh ? html`reloads every ${refresh} s (<a href="${CONSOLE_PATH}/terminals">stop</a>)` : html`<a href="${CONSOLE_PATH}/terminals?refresh=5">reload every 5 s</a>`}</p>
<table class="fleet">
<thead><tr><th>Terminal</th><th>Status</th><th>In flight</th><th class="num">Busy for</th><th class="num">Waiting</th><th>Next in line</th><th>Last answer</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="7" class="muted">No terminal has taken an operation yet.</td></tr>`}</tbody>
</table>`;
  return layout({ title: 'Terminals', nav: 'terminals', body, refresh });
}
