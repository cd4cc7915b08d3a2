/**
 * Bull Board in a real browser: Debian's headless Chromium (/usr/bin/chromium, no browser download)
 * driven by playwright-core logs in, sees both queues, opens a charge's job and reads its log lines,
 * and saves screenshots under test-artifacts/.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, charge, waitForPayment, ADMIN, STORE_UID, type ApiHarness } from '../api/support.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = 'test-artifacts';

let api: ApiHarness;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (.ci/run does this)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  api = await startApi();
  await api.call('POST', '/v1/charges', { body: charge('web-1', 10, 'A01') });
  await api.call('POST', '/v1/charges', { body: charge('web-2', 151, 'A02') }); // the simulator declines amounts ending in 51
  await waitForPayment(api, 'web-1', ['paid']);
  await waitForPayment(api, 'web-2', ['declined']);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('Bull Board in Chromium', () => {
  it.each([
    ['no credentials', undefined],
    ['a wrong password', { username: ADMIN.user, password: 'guess' }],
  ])('refuses the dashboard with %s', async (_name, httpCredentials) => {
    // Headless Chromium cannot show the Basic prompt: without credentials it fails the navigation
    // on the challenge; with wrong ones it ends on the 401 page.
    const ctx = await browser.newContext(httpCredentials ? { httpCredentials } : {});
    const page = await ctx.newPage();
    const outcome = await page.goto(`${api.url}/admin/queues`).then((r) => `status ${r?.status()}`, (err: Error) => err.message);
    expect(outcome).toMatch(/^status 401$|ERR_INVALID_AUTH_CREDENTIALS/);
    await ctx.close();
  });

  it('logs in, sees the queues, opens a charge job and reads its log lines', async () => {
    const ctx = await browser.newContext({ httpCredentials: { username: ADMIN.user, password: ADMIN.password }, viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    const res = await page.goto(`${api.url}/admin/queues`);
    expect(res?.status()).toBe(200);
    await expect.poll(() => page.innerText('body'), { timeout: 15_000 }).toContain('device — send to terminal');
    expect(await page.innerText('body')).toContain('status — follow up');
    await page.screenshot({ path: `${ARTIFACTS}/bull-board-queues.png`, fullPage: true });

    await page.getByRole('link', { name: 'device', exact: true }).first().click();
    await page.getByRole('link', { name: /completed/i }).first().click();
    await expect.poll(() => page.innerText('body'), { timeout: 15_000 }).toContain('charge A01 · order web-1 · NT$10');
    expect(await page.innerText('body')).toContain('charge A02 · order web-2 · NT$151');

    await page.getByRole('link', { name: `charge.${STORE_UID}.web-1` }).click();
    await page.getByRole('button', { name: 'Logs', exact: true }).or(page.getByText('Logs', { exact: true })).first().click();
    await expect.poll(() => page.innerText('body'), { timeout: 15_000 }).toContain('POST api/postransaction to terminal A01 (attempt 1)');
    expect(await page.innerText('body')).toMatch(/answer B200/);
    const shot = `${ARTIFACTS}/bull-board-job-logs.png`;
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    await ctx.close();
  });

  it('shows the follow-up job of a declined charge with its poll and prc', async () => {
    const ctx = await browser.newContext({ httpCredentials: { username: ADMIN.user, password: ADMIN.password } });
    const page = await ctx.newPage();
    await page.goto(`${api.url}/admin/queues/queue/status/${encodeURIComponent(`charge.${STORE_UID}.web-2.status`)}?status=completed`);
    await expect.poll(() => page.innerText('body'), { timeout: 15_000 }).toContain('follow up charge A02 · order web-2 · NT$151');
    await page.getByText('Logs', { exact: true }).first().click();
    await expect.poll(() => page.innerText('body'), { timeout: 15_000 }).toMatch(/poll \d+: prc 300 → declined/);
    await page.screenshot({ path: `${ARTIFACTS}/bull-board-follow-up.png`, fullPage: true });
    await ctx.close();
  });
});
