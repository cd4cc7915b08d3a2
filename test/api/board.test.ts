/** Bull Board over real HTTP: Basic auth, readable job names, log lines per step, redaction, read-only mode. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, charge, waitForPayment, ADMIN, STORE_UID, type ApiHarness } from './support.js';

let api: ApiHarness;
let readOnly: ApiHarness;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function board(h: ApiHarness, path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${h.url}/admin/queues${path}`, { ...init, headers: { authorization: basic(ADMIN.user, ADMIN.password), ...init.headers } });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // html
  }
  return { status: res.status, body, headers: res.headers };
}

beforeAll(async () => {
  api = await startApi();
  readOnly = await startApi({ api: { boardReadOnly: true }, workers: false });
  await api.call('POST', '/v1/charges', { body: charge('b-1', 10) });
  await waitForPayment(api, 'b-1', ['paid']);
});
afterAll(async () => {
  await api?.close();
  await readOnly?.close();
});

describe('Bull Board', () => {
  it.each([
    ['no credentials', undefined],
    ['wrong password', basic(ADMIN.user, 'guess')],
    ['wrong user', basic('root', ADMIN.password)],
    ['a Bearer key', 'Bearer test-key-0123456789abcdef'],
  ])('refuses %s with a Basic challenge', async (_name, authorization) => {
    const res = await fetch(`${api.url}/admin/queues`, { headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const api401 = await fetch(`${api.url}/admin/queues/api/queues`, { headers: authorization ? { authorization } : {} });
    expect(api401.status).toBe(401);
  });

  it('serves the dashboard with the right credentials', async () => {
    const r = await board(api, '');
    expect(r.status).toBe(200);
    expect(String(r.body)).toContain('<div id="root">');
  });

  it('lists the operation and refund-batch queues with job names a person reads at a glance', async () => {
    const r = await board(api, '/api/queues?activeQueue=device&status=completed&page=1&jobsPerPage=20');
    const queues = (r.body as { queues: { name: string; jobs: { name: string; id: string }[] }[] }).queues;
    expect(queues.map((q) => q.name).sort()).toEqual(['device', 'notify', 'refund-batch-rows', 'refund-batches', 'status']);
    expect(queues.find((q) => q.name === 'device')?.jobs.map((j) => j.name)).toContain('charge A01 · order b-1 · NT$10');
  });

  it('a parked job says which terminal it waits for and how many are ahead of it (not only "Will run at")', async () => {
    // No workers in this harness: the first charge holds terminal A02, the others wait in its line.
    for (let i = 0; i < 4; i++) expect((await readOnly.call('POST', '/v1/charges', { body: charge(`line-${i}`, 10, 'A02') })).status).toBe(202);
    const r = await board(readOnly, '/api/queues?activeQueue=device&status=delayed&page=1&jobsPerPage=20');
    const jobs = (r.body as { queues: { name: string; jobs: { name: string; id: string }[] }[] }).queues.find((q) => q.name === 'device')!.jobs;
    const names = Object.fromEntries(jobs.map((j) => [j.id, j.name]));
    expect(names[`charge.${STORE_UID}.line-1`]).toBe('charge A02 · order line-1 · NT$10 — waiting for terminal A02 behind 1');
    expect(names[`charge.${STORE_UID}.line-2`]).toBe('charge A02 · order line-2 · NT$10 — waiting for terminal A02 behind 2');
    expect(names[`charge.${STORE_UID}.line-3`]).toBe('charge A02 · order line-3 · NT$10 — waiting for terminal A02 behind 3');
    // The one holding the terminal is not parked.
    expect(names[`charge.${STORE_UID}.line-0`]).toBeUndefined();
  });

  it('shows a log line for every step: POST, answer, each poll with its prc', async () => {
    const id = `charge.${STORE_UID}.b-1`;
    const device = ((await board(api, `/api/queues/device/${encodeURIComponent(id)}/logs`)).body as string[]).join('\n');
    expect(device).toMatch(/POST api\/postransaction to terminal A01 \(attempt 1\)/);
    expect(device).toMatch(/answer B200/);
    const status = ((await board(api, `/api/queues/status/${encodeURIComponent(`${id}.status`)}/logs`)).body as string[]).join('\n');
    expect(status).toMatch(/poll \d+: prc 250 → paid/);
    const statusJob = await api.h.core.statusQueue.getJob(`${id}.status`);
    expect(statusJob?.progress).toMatchObject({ prc: '250', outcome: 'final' });
  });

  it('redacts secrets in job data and return values', async () => {
    const job = await readOnly.h.core.deviceQueue.add('planted', { opId: 'x', key: 'CHARGE-KEY', nested: { encry_data: 'CIPHERTEXT', merchant_key: 'M' } } as never, { jobId: 'planted-1' });
    await readOnly.h.core.redis.hset(`${readOnly.h.core.prefix}:device:${job.id}`, 'returnvalue', JSON.stringify({ ok: true, key: 'RETURNED-KEY' }));
    const r = await board(readOnly, '/api/queues/device/planted-1');
    const text = JSON.stringify(r.body);
    expect(r.status).toBe(200);
    expect(text).toContain('"opId":"x"');
    for (const secret of ['CHARGE-KEY', 'CIPHERTEXT', 'RETURNED-KEY', '"M"']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('without read-only mode an operator can pause and resume a queue', async () => {
    expect((await board(api, '/api/queues/status/pause', { method: 'PUT' })).status).toBe(200);
    expect(await api.h.core.statusQueue.isPaused()).toBe(true);
    expect((await board(api, '/api/queues/status/resume', { method: 'PUT' })).status).toBe(200);
    expect(await api.h.core.statusQueue.isPaused()).toBe(false);
  });

  it('read-only mode refuses to pause', async () => {
    const pause = await board(readOnly, '/api/queues/device/pause', { method: 'PUT' });
    expect(pause.status).toBe(405);
    expect(await readOnly.h.core.deviceQueue.isPaused()).toBe(false);
    const listed = (await board(readOnly, '/api/queues?activeQueue=device&page=1&jobsPerPage=5')).body as { queues: { readOnlyMode: boolean }[] };
    expect(listed.queues.every((q) => q.readOnlyMode)).toBe(true);
  });
});
