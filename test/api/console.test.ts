/**
 * The ops console (/admin) over real HTTP: the Basic login on every page, the pages with a paid
 * charge, a declined one, a refund, an amount mismatch and one still followed up; escaping of
 * attacker-controlled values; the search form's filters; the recheck POST and its CSRF defence.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formTokens } from '../../src/api/console/csrf.js';
import { startApi, charge, waitForPayment, ADMIN, API_KEY, STORE_UID, type ApiHarness } from './support.js';

let api: ApiHarness;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const AUTH = basic(ADMIN.user, ADMIN.password);
const EVIL = '<img src=x onerror=alert(1)>';
const id = (orderId: string, kind = 'charge') => `${kind}.${STORE_UID}.${encodeURIComponent(orderId).replace(/\./g, '%2E')}`;
const page = (opId: string) => `/admin/payments/${encodeURIComponent(opId)}`;

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; html: string; headers: Headers }> {
  const res = await fetch(`${api.url}${path}`, { headers: { authorization: AUTH, ...headers }, redirect: 'manual' });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

async function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; html: string; location: string | null }> {
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
  return { status: res.status, html: await res.text(), location: res.headers.get('location') };
}

/** Order ids of the result table, top to bottom. */
function resultIds(html: string): string[] {
  return [...html.matchAll(/<tr data-op="([^"]+)">/g)].map((m) => m[1]!.replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
}

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1];

let created = 0;

beforeAll(async () => {
  api = await startApi();
  const post = (body: Record<string, unknown>, path = '/v1/charges') => api.call('POST', path, { body });
  await post(charge('con-paid', 100, 'A01', { items: [{ id: '1', name: '拿鐵咖啡', cost: 100, amount: 1, total: 100 }] }));
  await post(charge('con-declined', 151, 'A02')); // the simulator declines costs ending in 51
  await post(charge(EVIL, 10, 'A03'));
  await post(charge('con-mismatch', 155, 'A04')); // 55: paid, amounts differ (prc 290) → needs_review
  await post(charge('con-open', 156, 'A05')); // 56: stays pending → followed up, then unresolved
  await waitForPayment(api, 'con-paid', ['paid']);
  await waitForPayment(api, 'con-declined', ['declined']);
  await waitForPayment(api, EVIL, ['paid']);
  await waitForPayment(api, 'con-mismatch', ['needs_review']);
  await post({ order_id: 'con-paid', refund_id: 'con-paid-r1', cost: 20 }, '/v1/refunds');
  await waitForPayment(api, 'con-paid', ['partially_refunded']);
  const batch = await api.call('POST', '/v1/refund-batches', { body: { batch_id: 'con-batch-1', rows: [{ order_id: EVIL, cost: 10 }] } });
  expect(batch.status).toBe(202);
  await api.h.waitForState(id('con-open'), ['pending', 'unresolved']);
  created = Date.now();
});
afterAll(async () => {
  await api?.close();
});

const PAGES = () => ['/admin', '/admin/', '/admin/payments', `/admin/payments?state=paid`, page(id('con-paid')), '/admin/terminals', '/admin/batches', '/admin/batches/con-batch-1/status.json', '/admin/nope'];

describe('ops console: login', () => {
  it.each([
    ['no credentials', undefined],
    ['a wrong password', basic(ADMIN.user, 'guess')],
    ['a wrong user', basic('root', ADMIN.password)],
    ['an API key', `Bearer ${API_KEY}`],
  ])('refuses every page with %s (401 and a Basic challenge)', async (_name, authorization) => {
    for (const path of PAGES()) {
      const res = await fetch(`${api.url}${path}`, { headers: authorization ? { authorization } : {} });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate'), path).toMatch(/^Basic realm=/);
      expect(await res.text(), path).not.toContain('con-paid');
    }
    const recheck = await fetch(`${api.url}${page(id('con-open'))}/recheck`, { method: 'POST', headers: { ...(authorization ? { authorization } : {}), origin: api.url } });
    expect(recheck.status).toBe(401);
  });

  it('serves /admin as the console home and leaves /admin/queues to Bull Board', async () => {
    const home = await get('/admin');
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(home.headers.get('cache-control')).toBe('no-store');
    expect(home.html).toContain('<meta charset="utf-8">');
    expect(home.html).toMatch(/font[^;]*"Noto Sans TC"[^;]*"PingFang TC"[^;]*"Microsoft JhengHei"/);
    const board = await get('/admin/queues');
    expect(board.status).toBe(200);
    expect(board.html).toContain('<div id="root">');
    const boardApi = await get('/admin/queues/api/queues?activeQueue=device&status=completed&page=1&jobsPerPage=5');
    expect(boardApi.status).toBe(200);
    expect(boardApi.headers.get('content-type')).toMatch(/application\/json/);
    // What Bull Board does not answer under /admin/queues is not the console's either.
    const notBoard = await get('/admin/queues/api/nope');
    expect(notBoard.status).toBe(404);
    expect(notBoard.html).not.toContain('The console has no page');
    const missing = await get('/admin/nope');
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('The console has no page');
  });
});

describe('ops console: pages', () => {
  it('opens with the attention list: the amount mismatch with why and its runbook', async () => {
    const r = await get('/admin');
    expect(r.status).toBe(200);
    const attention = r.html.indexOf('Needs attention');
    const links = r.html.indexOf('<h2>Console</h2>');
    expect(attention).toBeGreaterThan(-1);
    expect(links).toBeGreaterThan(attention);
    expect(r.html).toMatch(/data-kind="amount_mismatch">Paid, amounts differ \(prc 290\): <strong>1<\/strong>/);
    const item = r.html.slice(r.html.indexOf('<div class="card item" data-kind="amount_mismatch">'));
    expect(item).toContain(`href="${page(id('con-mismatch'))}"`);
    expect(item).toContain('charge con-mismatch on A04: paid, but the amounts differ (prc 290)');
    expect(item).toContain('交易成功,但資訊不符'); // the gateway's message, in the why
    expect(item).toContain('<code class="runbook">docs/OPERATIONS.md#95-an-operation-is-needs_review</code>');
    expect(r.html.indexOf('amount_mismatch')).toBeLessThan(links);
    for (const href of ['/admin/payments', '/admin/terminals', '/admin/batches', '/admin/queues']) expect(r.html).toContain(`href="${href}"`);
  });

  it('lists payments newest first with state badges and amounts', async () => {
    const r = await get('/admin/payments');
    expect(r.status).toBe(200);
    const ids = resultIds(r.html);
    // Charges only by default (the refund is not a row), newest first.
    expect(ids).toEqual([id('con-open'), id('con-mismatch'), id(EVIL), id('con-declined'), id('con-paid')]);
    const rowOf = (opId: string) => r.html.slice(r.html.indexOf(`<tr data-op="${opId.replace(/&/g, '&amp;')}">`)).split('</tr>')[0]!;
    expect(rowOf(id('con-paid'))).toMatch(/data-tone="green">✓ partially_refunded</);
    expect(rowOf(id('con-paid'))).toContain('NT$100');
    expect(rowOf(id('con-paid'))).toContain('付款成功');
    expect(rowOf(id('con-declined'))).toMatch(/data-tone="red">✗ declined</);
    expect(rowOf(id('con-declined'))).toContain('>A02<');
    expect(rowOf(id('con-mismatch'))).toMatch(/data-tone="amber">! needs_review</);
    expect(rowOf(id('con-open'))).toMatch(/data-tone="(grey|amber)">(… pending|! unresolved)</);
  });

  it('shows a paid charge: amounts, items, its refund, the audit trail as a timeline, Bull Board links; never the key', async () => {
    const r = await get(page(id('con-paid')));
    expect(r.status).toBe(200);
    expect(r.html).toMatch(/<h1>Charge con-paid <span class="badge green"/);
    expect(r.html).toContain('<dt>Refunded</dt><dd>NT$20</dd>');
    expect(r.html).toContain('<dt>Reserved (refunds under way)</dt><dd>NT$0</dd>');
    expect(r.html).toContain('<dt>Refundable</dt><dd>NT$80</dd>');
    expect(r.html).toContain('<dt>prc</dt><dd>250');
    expect(r.html).toContain('<dt>Message</dt><dd>付款成功</dd>');
    expect(r.html).toContain('<td>拿鐵咖啡</td>');
    expect(r.html).toContain(`href="${page(id('con-paid-r1', 'refund'))}"`);
    const events = [...r.html.matchAll(/<li data-event="([a-z_]+)">/g)].map((m) => m[1]);
    expect(events.slice(0, 4)).toEqual(['request', 'answer', 'query', 'final']);
    expect(r.html).toContain('POST api/postransaction · attempt 1');
    expect(r.html).toMatch(/querydirect B200 · prc 250 付款成功/);
    expect(r.html).toContain(`href="/admin/queues/queue/device/${encodeURIComponent(id('con-paid'))}"`);
    expect(r.html).toContain(`href="/admin/queues/queue/status/${encodeURIComponent(`${id('con-paid')}.status`)}"`);
    expect(r.html).not.toMatch(/"key"|\[redacted\]|cardno/);
    expect(r.html).not.toContain('Recheck now'); // final: nothing to recheck
  });

  it('shows a declined charge and a refund with the link back to its charge', async () => {
    const d = await get(page(id('con-declined')));
    expect(d.status).toBe(200);
    expect(d.html).toMatch(/<h1>Charge con-declined <span class="badge red" data-tone="red">✗ declined<\/span>/);
    expect(d.html).toContain('<dt>prc</dt><dd>300');
    const refund = await get(page(id('con-paid-r1', 'refund')));
    expect(refund.status).toBe(200);
    expect(refund.html).toMatch(/<h1>refund con-paid-r1 <span class="badge green" data-tone="green">✓ refunded<\/span>/);
    expect(refund.html).toContain(`<dt>Charge</dt><dd><a href="${page(id('con-paid'))}">`);
    expect(refund.html).toContain('<dt>Amount</dt><dd>NT$20</dd>');
    expect(refund.html).not.toMatch(/"key"|\[redacted\]/);
    const missing = await get(page(`charge.${STORE_UID}.nothing-here`));
    expect(missing.status).toBe(404);
  });

  it('escapes attacker-controlled values on every page that shows them', async () => {
    const escaped = '&lt;img src=x onerror=alert(1)&gt;';
    for (const path of ['/admin/payments', `/admin/payments?order_id_prefix=${encodeURIComponent(EVIL)}`, page(id(EVIL)), '/admin/batches']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.html, path).not.toContain('<img');
      if (path !== '/admin/batches') expect(r.html, path).toContain(escaped);
    }
    // A value typed into the form comes back escaped in its input, quotes included.
    const q = await get(`/admin/payments?order_id_prefix=${encodeURIComponent('"><script>x</script>')}`);
    expect(q.html).not.toContain('<script>');
    expect(q.html).toContain('value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    // An unknown path is named escaped in the 404 page.
    const nf = await get(`/admin/${encodeURIComponent('<b>x</b>')}`);
    expect(nf.status).toBe(404);
    expect(nf.html).not.toContain('<b>x</b>');
  });

  it('shows the terminal fleet sorted by name and the refund batches with their progress', async () => {
    const t = await get('/admin/terminals');
    expect(t.status).toBe(200);
    const names = [...t.html.matchAll(/data-terminal="([^"]+)"/g)].map((m) => m[1]);
    expect(names).toEqual(['A01', 'A02', 'A03', 'A04', 'A05']);
    expect(t.html).toMatch(/data-terminal="A02" data-status="idle"/);
    const b = await get('/admin/batches');
    expect(b.status).toBe(200);
    expect(b.html).toContain('data-batch="con-batch-1"');
    expect(b.html).toContain('href="/admin/batches/con-batch-1/status.json"');
    expect(b.html).toMatch(/ \d \/ 1 final/);
    const json = await get('/admin/batches/con-batch-1/status.json');
    expect(json.status).toBe(200);
    const status = JSON.parse(json.html) as { batch_id: string; rows_total: number; rows: { order_id: string }[] };
    expect(status).toMatchObject({ batch_id: 'con-batch-1', rows_total: 1 });
    expect(status.rows[0]!.order_id).toBe(EVIL);
    expect((await get('/admin/batches/nope/status.json')).status).toBe(404);
  });
});

describe('ops console: search form', () => {
  it('filters by state, terminal, order id prefix and kind through the form parameters', async () => {
    expect(resultIds((await get('/admin/payments?state=declined')).html)).toEqual([id('con-declined')]);
    expect(resultIds((await get('/admin/payments?device_name=A04')).html)).toEqual([id('con-mismatch')]);
    expect(resultIds((await get('/admin/payments?order_id_prefix=con-p')).html)).toEqual([id('con-paid')]);
    // Empty fields are no filter (a submitted form sends them all).
    expect(resultIds((await get('/admin/payments?kind=&state=&device_name=&created_gte=&created_lt=&order_id_prefix=con-d&limit=50')).html)).toEqual([id('con-declined')]);
    const all = resultIds((await get('/admin/payments?kind=all&order_id_prefix=con-paid')).html);
    expect(all).toEqual([id('con-paid-r1', 'refund'), id('con-paid')]);
    const refunds = resultIds((await get('/admin/payments?kind=refund')).html);
    expect(refunds).toHaveLength(2); // con-paid-r1 and the batch's refund
    expect(refunds.every((x) => x.startsWith('refund.'))).toBe(true);
    expect(refunds).toContain(id('con-paid-r1', 'refund'));
    // The form keeps what was asked.
    const kept = await get('/admin/payments?state=declined&device_name=A02');
    expect(kept.html).toContain('<option value="declined" selected>declined</option>');
    expect(kept.html).toContain('name="device_name" value="A02"');
  });

  it('filters by creation time, as datetime-local (Taipei time) or ISO 8601 with a zone', async () => {
    const future = new Date(created + 3_600_000);
    const past = new Date(created - 3_600_000);
    const local = (d: Date) => new Date(d.getTime() + 8 * 3_600_000).toISOString().slice(0, 16); // datetime-local, Taipei time
    expect(resultIds((await get(`/admin/payments?created_gte=${local(future)}`)).html)).toEqual([]);
    expect(resultIds((await get(`/admin/payments?created_gte=${local(past)}&created_lt=${local(future)}`)).html)).toHaveLength(5);
    // To the millisecond, split at one charge's creation: a zone-less time is read as Taipei time.
    const split = (await api.h.core.store.get(id('con-mismatch')))!.created;
    const at = new Date(split + 8 * 3_600_000).toISOString().slice(0, 23); // 2026-11-28T15:04:43.123
    expect(resultIds((await get(`/admin/payments?created_gte=${at}`)).html)).toEqual([id('con-open'), id('con-mismatch')]);
    expect(resultIds((await get(`/admin/payments?created_lt=${at}`)).html)).toEqual([id(EVIL), id('con-declined'), id('con-paid')]);
    const utc = encodeURIComponent(new Date(split).toISOString()); // the same instant as ISO 8601 in UTC
    expect(resultIds((await get(`/admin/payments?created_gte=${utc}`)).html)).toEqual([id('con-open'), id('con-mismatch')]);
    expect(resultIds((await get(`/admin/payments?created_lt=${encodeURIComponent(past.toISOString())}`)).html)).toEqual([]);
    const shown = await get(`/admin/payments?created_gte=${encodeURIComponent(past.toISOString())}`);
    expect(resultIds(shown.html)).toHaveLength(5);
    expect(shown.html).toContain(`name="created_gte" value="${new Date(past.getTime() + 8 * 3_600_000).toISOString().slice(0, 19)}"`);
  });

  it('pages with a next-page link carrying the cursor', async () => {
    const everything = resultIds((await get('/admin/payments?limit=20')).html);
    expect(everything).toHaveLength(5);
    const seen: string[] = [];
    let path: string | undefined = '/admin/payments?limit=2'; // the form offers 20+; the parameter takes any 1–200
    let pages = 0;
    while (path && pages < 6) {
      const r = await get(path);
      pages++;
      seen.push(...resultIds(r.html));
      const next = /<a rel="next" class="next" href="([^"]+)">/.exec(r.html)?.[1]?.replace(/&amp;/g, '&');
      if (next) expect(next).toMatch(/^\/admin\/payments\?limit=2&cursor=[A-Za-z0-9_-]+$/);
      path = next;
    }
    expect(seen).toEqual(everything);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('names each bad filter and shows no results', async () => {
    const r = await get('/admin/payments?state=bogus&created_gte=yesterday&limit=5000');
    expect(r.status).toBe(200);
    expect(r.html).toContain('Check the filters');
    expect(r.html).toMatch(/<li>State: /);
    expect(r.html).toMatch(/<li>Created from: /);
    expect(r.html).toMatch(/<li>Per page: /);
    expect(resultIds(r.html)).toEqual([]);
  });
});

describe('ops console: recheck', () => {
  it('offers recheck on an operation still followed up (or unresolved) and refuses a POST not proven same-origin', async () => {
    const opId = id('con-open');
    // Unresolved: nothing follows it up any more, so any new query in its audit trail is a recheck's.
    await api.h.waitForState(opId, ['unresolved'], 10_000);
    const before = (await api.h.core.store.auditTrail(opId)).length;
    const view = await get(page(opId));
    expect(view.html).toContain('Recheck now');
    expect(view.html).toContain(`action="${page(opId)}/recheck"`);
    const csrf = csrfOf(view.html);
    expect(csrf).toBeTruthy();
    const url = `${page(opId)}/recheck`;

    const refused = [
      await post(url, { csrf: csrf! }), // neither Origin nor Referer
      await post(url, { csrf: csrf! }, { origin: 'https://evil.example' }),
      await post(url, { csrf: csrf! }, { referer: 'https://evil.example/admin/payments' }),
      await post(url, { csrf: csrf! }, { origin: 'null' }),
      await post(url, { csrf: csrf! }, { origin: api.url, 'sec-fetch-site': 'cross-site' }),
      await post(url, {}, { origin: api.url }), // same origin, no token
      await post(url, { csrf: 'forged' }, { origin: api.url }),
      await post(`${page(id('con-paid'))}/recheck`, { csrf: csrf! }, { origin: api.url }), // another operation's token
    ];
    for (const r of refused) {
      expect(r.status).toBe(403);
      expect(r.location).toBeNull();
      expect(r.html).toContain('Nothing was done');
    }
    await new Promise((r) => setTimeout(r, 300));
    expect((await api.h.core.store.auditTrail(opId)).length).toBe(before);
  });

  it('rechecks from the console and comes back with a flash message', async () => {
    const opId = id('con-open');
    const csrf = csrfOf((await get(page(opId))).html)!;
    const events = async () => (await api.h.core.store.auditTrail(opId)).map((e) => e.event);
    const before = await events();
    expect(before.at(-1)).toBe('final');
    const r = await post(`${page(opId)}/recheck`, { csrf }, { origin: api.url, referer: `${api.url}${page(opId)}` });
    expect(r.status).toBe(303);
    expect(r.location).toBe(`${page(opId)}?flash=queried`);
    const back = await get(r.location!);
    expect(back.html).toContain('Recheck requested: the status query runs now');
    // The gateway was asked again: a query after the final entry (prc 200 still: the state stays).
    await expect.poll(async () => (await events()).slice(before.length), { timeout: 5_000 }).toContain('query');
    expect(await api.h.waitForState(opId, ['unresolved'])).toBe('unresolved');
    // Referer alone (no Origin) is enough.
    const viaReferer = await post(`${page(opId)}/recheck`, { csrf }, { referer: `${api.url}${page(opId)}` });
    expect(viaReferer.status).toBe(303);
    // A final operation shows no button; a valid form for it anyway is told there is nothing to recheck.
    const paid = id('con-paid');
    expect((await get(page(paid))).html).not.toContain('name="csrf"');
    const done = await post(`${page(paid)}/recheck`, { csrf: formTokens(ADMIN).token('recheck', paid) }, { origin: api.url });
    expect(done.status).toBe(303);
    expect((await get(done.location!)).html).toContain('Nothing to recheck');
  });
});
