/**
 * The ops console (/admin) in a real browser: Debian's headless Chromium (/usr/bin/chromium) driven
 * by playwright-core logs in with Basic auth, watches the terminal fleet while a slow simulated
 * terminal works through a line, reads the attention list, searches payments through the form,
 * opens a payment's timeline and presses "Recheck now" (a real browser's POST passes the CSRF
 * check). Screenshots: test-artifacts/console-*.png.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, charge, waitForPayment, ADMIN, STORE_UID, type ApiHarness } from '../api/support.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = 'test-artifacts';
const SERVICE_MS = 2_000;

let api: ApiHarness;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;

const opId = (orderId: string) => `charge.${STORE_UID}.${orderId}`;

async function shot(name: string): Promise<void> {
  const path = `${ARTIFACTS}/console-${name}.png`;
  await page.screenshot({ path, fullPage: true });
  expect(statSync(path).size).toBeGreaterThan(10_000);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (.ci/run does this)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  // A slow simulated terminal: every charge holds its terminal for 2 s, so the fleet can be seen busy.
  api = await startApi({ sim: { serviceMs: SERVICE_MS } });
  const items = [{ id: 'L1', name: '拿鐵咖啡', cost: 120, amount: 1, total: 120 }];
  await api.call('POST', '/v1/charges', { body: charge('web-paid', 120, 'A01', { items }) });
  await api.call('POST', '/v1/charges', { body: charge('web-review', 155, 'A02') }); // 55: paid, amounts differ → needs_review
  await api.call('POST', '/v1/charges', { body: charge('web-open', 156, 'A03') }); // 56: stays pending, then unresolved
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  ctx = await browser.newContext({ httpCredentials: { username: ADMIN.user, password: ADMIN.password }, viewport: { width: 1360, height: 900 }, locale: 'zh-TW' });
  page = await ctx.newPage();
  page.setDefaultTimeout(10_000);
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('ops console in Chromium', () => {
  it('refuses the console without the dashboard login', async () => {
    const anon = await browser.newContext({ httpCredentials: { username: ADMIN.user, password: 'guess' } });
    const p = await anon.newPage();
    const outcome = await p.goto(`${api.url}/admin`).then((r) => `status ${r?.status()}`, (err: Error) => err.message);
    expect(outcome).toMatch(/^status 401$|ERR_INVALID_AUTH_CREDENTIALS/);
    expect(await p.content()).not.toContain('Needs attention');
    await anon.close();
  });

  it('shows the terminal fleet during traffic: a terminal busy with a charge, the line behind it', async () => {
    // Three charges for one terminal: the first takes it for 2 s, the other two wait in its line.
    for (const n of [1, 2, 3]) await api.call('POST', '/v1/charges', { body: charge(`web-line-${n}`, 100 + n, 'A05') });
    const row = page.locator('tr[data-terminal="A05"]');
    await expect
      .poll(async () => {
        await page.goto(`${api.url}/admin/terminals`);
        return `${await row.getAttribute('data-status')} ${await row.locator('td.waiting').innerText()}`;
      }, { timeout: 5_000, interval: 100 })
      .toBe('busy 2');
    const text = await row.innerText();
    expect(text).toContain('charge web-line-1');
    expect(text).toMatch(/\d+\.\d s/); // busy for
    expect(await row.getByRole('link', { name: opId('web-line-2') }).count()).toBe(1);
    expect(await row.getByRole('link', { name: opId('web-line-3') }).count()).toBe(1);
    // Sorted by name; idle terminals are shown idle.
    const names = await page.locator('tr[data-terminal]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-terminal')));
    expect(names).toEqual([...names].sort());
    expect(names).toContain('A01');
    await shot('terminals');
    // Clicking the charge in flight opens its page.
    await row.getByRole('link', { name: 'charge web-line-1' }).click();
    await expect.poll(() => page.locator('h1').innerText()).toContain('Charge web-line-1');
  });

  it('opens with the attention list: the amount mismatch, why, and its runbook', async () => {
    await waitForPayment(api, 'web-review', ['needs_review'], 10_000);
    await page.goto(`${api.url}/admin`);
    expect(await page.title()).toContain('Attention');
    const item = page.locator('.item[data-kind="amount_mismatch"]');
    await expect.poll(() => item.count()).toBe(1);
    const text = await item.innerText();
    expect(text).toContain('charge web-review on A02: paid, but the amounts differ (prc 290)');
    expect(text).toContain('交易成功,但資訊不符'); // the gateway's own words, in CJK
    expect(text).toContain('docs/OPERATIONS.md#95-an-operation-is-needs_review');
    expect(await page.locator('.counts [data-kind="amount_mismatch"]').innerText()).toContain('1');
    // The attention list comes before the links.
    const order = await page.locator('main h1, main h2').allInnerTexts();
    expect(order[0]).toBe('Needs attention');
    expect(order.at(-1)).toBe('Console');
    await shot('attention');
    await item.getByRole('link').first().click();
    await page.waitForURL(new RegExp(`/admin/payments/${opId('web-review').replace(/\./g, '\\.')}$`));
    expect(await page.locator('h1 .badge').getAttribute('data-tone')).toBe('amber');
    expect(await page.locator('.errors').innerText()).toContain('amounts differ');
  });

  it('searches payments through the form and opens a payment with its timeline', async () => {
    await waitForPayment(api, 'web-paid', ['paid'], 10_000);
    await page.goto(`${api.url}/admin`);
    await page.getByRole('link', { name: 'Payments', exact: true }).first().click();
    await page.waitForURL(/\/admin\/payments$/);
    // Every charge so far, newest first, each state a coloured badge.
    const all = await page.locator('table.results tbody tr[data-op]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-op')));
    expect(all.slice(-3)).toEqual([opId('web-open'), opId('web-review'), opId('web-paid')]);
    expect(await page.locator(`tr[data-op="${opId('web-review')}"] .badge`).getAttribute('data-tone')).toBe('amber');
    await shot('payments-all');
    await page.getByLabel('Order id starts with').fill('web-');
    await page.getByLabel('State').selectOption('paid');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/admin\/payments\?.*order_id_prefix=web-.*/);
    expect(new URL(page.url()).searchParams.get('state')).toBe('paid');
    const rows = page.locator('table.results tbody tr[data-op]');
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-op')));
    expect(ids).toContain(opId('web-paid'));
    expect(ids).not.toContain(opId('web-review'));
    const paidRow = page.locator(`tr[data-op="${opId('web-paid')}"]`);
    expect(await paidRow.locator('.badge').getAttribute('data-tone')).toBe('green');
    expect(await paidRow.innerText()).toContain('付款成功');
    await shot('payments');

    await paidRow.getByRole('link', { name: 'web-paid' }).click();
    await page.waitForURL(new RegExp(`/admin/payments/${opId('web-paid').replace(/\./g, '\\.')}$`));
    const body = await page.innerText('body');
    expect(body).toContain('Charge web-paid');
    expect(body).toContain('拿鐵咖啡');
    expect(body).toContain('付款成功');
    expect(body).not.toMatch(/\[redacted\]|"key"/);
    const events = await page.locator('ol.timeline > li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-event')));
    // The slow terminal: the follow-up polls (prc 200) until the charge is done, then the final answer.
    expect(events.slice(0, 3)).toEqual(['request', 'answer', 'query']);
    expect(events.at(-1)).toBe('final');
    expect(await page.locator('ol.timeline').innerText()).toContain('prc 250 付款成功');
    const board = await page.getByRole('link', { name: 'device job' }).getAttribute('href');
    expect(board).toBe(`/admin/queues/queue/device/${encodeURIComponent(opId('web-paid'))}`);
    await shot('payment');
  });

  it('rechecks an operation still followed up from its page (the browser POST passes the same-origin check)', async () => {
    // Unresolved: no follow-up runs any more, so a query after its final entry is the recheck's.
    await api.h.waitForState(opId('web-open'), ['unresolved'], 10_000);
    await page.goto(`${api.url}/admin/payments/${encodeURIComponent(opId('web-open'))}`);
    const events = () => page.locator('ol.timeline > li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-event')));
    expect((await events()).at(-1)).toBe('final');
    await page.getByRole('button', { name: 'Recheck now' }).click();
    await page.waitForURL(/\?flash=queried$/);
    expect(await page.locator('.flash').innerText()).toContain('Recheck requested');
    await expect
      .poll(async () => {
        await page.reload();
        return (await events()).at(-1);
      }, { timeout: 5_000, interval: 200 })
      .toBe('query');
    await shot('recheck');
  });
});
