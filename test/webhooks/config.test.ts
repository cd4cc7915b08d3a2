/**
 * Issue 14, webhooks — configuration: secret rotation (two secrets at once: every delivery carries a
 * signature per secret, each verifies with `standardwebhooks` on its own, so a receiver on either
 * secret accepts it), and refusals at start-up — one line naming the variable, the secret never
 * printed, a host off WEBHOOK_ALLOWED_HOSTS or plain http to a remote host refused.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { ConfigError, TEST_MERCHANT, loadEnv, loadStores } from '../../src/config/config.js';
import { webhookEndpointsFromEnv } from '../../src/workers/notify/endpoints.js';
import { charge, startHarness, type Harness } from '../support/harness.js';
import { spawnWorker, workerEnv, type WorkerProcess } from '../support/processes.js';
import { newSecret, startReceiver, until, type Receiver } from './support.js';

const oldSecret = newSecret();
const nextSecret = newSecret();

/** The lines a configuration is refused with (loadEnv, then the endpoints as every role checks them). */
function refusal(env: Record<string, string>): string[] {
  try {
    const e = loadEnv({ MYPAY_STORE_UID: TEST_MERCHANT.storeUid, MYPAY_STORE_KEY: TEST_MERCHANT.key, ...env });
    webhookEndpointsFromEnv(e, loadStores(e));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).lines];
  }
  return [];
}

describe('webhook configuration refused, one line per variable', () => {
  it('names the variable at fault and never prints a secret', () => {
    const bad = 'whsec_tooshort';
    const lines = refusal({ WEBHOOK_URL: 'https://hooks.example.com/x', WEBHOOK_SECRET: bad, WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' });
    expect(lines).toEqual([expect.stringMatching(/^WEBHOOK_SECRET: secret 1 must be whsec_ followed by base64 of 24 to 64 random bytes/)]);
    expect(lines.join('\n')).not.toContain(bad);
    expect(refusal({ WEBHOOK_URL: 'https://hooks.example.com/x', WEBHOOK_SECRET: [oldSecret, nextSecret, newSecret()].join(','), WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' }))
      .toEqual([expect.stringMatching(/^WEBHOOK_SECRET: at most 2 secrets/)]);
    expect(refusal({ WEBHOOK_URL: 'https://hooks.example.com/x', WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' })).toEqual([expect.stringMatching(/^WEBHOOK_SECRET: required with WEBHOOK_URL/)]);
    expect(refusal({ WEBHOOK_SECRET: oldSecret })).toEqual(['WEBHOOK_URL: required with WEBHOOK_SECRET']);
    expect(refusal({ WEBHOOK_URL: 'https://hooks.example.com/x', WEBHOOK_SECRET: oldSecret, WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com', WEBHOOK_TYPES: 'charge.paid,charge.payed' }))
      .toEqual([expect.stringMatching(/^WEBHOOK_TYPES: unknown event type "charge\.payed"/)]);
    expect(refusal({ WEBHOOK_RETRY_SCHEDULE_MS: '5000,30s' })).toEqual([expect.stringMatching(/^WEBHOOK_RETRY_SCHEDULE_MS: "30s" is not a positive whole number of ms/)]);
    expect(refusal({ WEBHOOK_TIMOUT_MS: '5000' })).toEqual([expect.stringMatching(/^WEBHOOK_TIMOUT_MS: unknown setting/)]);
    expect(refusal({ WEBHOOK_TIMEOUT_MS: '0' })).toEqual([expect.stringMatching(/^WEBHOOK_TIMEOUT_MS: /)]);
  });

  it('refuses a host off WEBHOOK_ALLOWED_HOSTS, plain http to a remote host, credentials in the URL — for WEBHOOK_URL and for a store endpoint', () => {
    const base = { WEBHOOK_SECRET: oldSecret };
    expect(refusal({ ...base, WEBHOOK_URL: 'https://evil.example/x', WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' }))
      .toEqual(['WEBHOOK_URL: host evil.example is not in WEBHOOK_ALLOWED_HOSTS (hooks.example.com)']);
    expect(refusal({ ...base, WEBHOOK_URL: 'https://hooks.example.com/x' })).toEqual(['WEBHOOK_URL: host hooks.example.com is not in WEBHOOK_ALLOWED_HOSTS (empty)']);
    expect(refusal({ ...base, WEBHOOK_URL: 'http://hooks.example.com/x', WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' }))
      .toEqual(['WEBHOOK_URL: plain http is only allowed to a loopback host, not hooks.example.com: use https']);
    expect(refusal({ ...base, WEBHOOK_URL: 'https://u:p@hooks.example.com/x', WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' })).toEqual([expect.stringMatching(/^WEBHOOK_URL: must not carry credentials/)]);
    // Allowed: https to an allow-listed host, http to an allow-listed loopback host.
    expect(refusal({ ...base, WEBHOOK_URL: 'https://hooks.example.com/x', WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' })).toEqual([]);
    expect(refusal({ ...base, WEBHOOK_URL: 'http://127.0.0.1:9/x', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' })).toEqual([]);

    const file = join(mkdtempSync(join(tmpdir(), 'wh-cfg-')), 'stores.json');
    writeFileSync(file, JSON.stringify([{ store_uid: TEST_MERCHANT.storeUid, key: TEST_MERCHANT.key, webhooks: [{ url: 'https://evil.example/hook', secrets: [oldSecret] }] }]));
    expect(refusal({ MYPAY_STORES_FILE: file, WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' }))
      .toEqual([`MYPAY_STORES_FILE: store ${TEST_MERCHANT.storeUid} webhooks[0].url: host evil.example is not in WEBHOOK_ALLOWED_HOSTS (hooks.example.com)`]);
    writeFileSync(file, JSON.stringify([{ store_uid: TEST_MERCHANT.storeUid, key: TEST_MERCHANT.key, webhooks: [{ url: 'https://hooks.example.com/hook', secrets: ['whsec_short'] }] }]));
    const lines = refusal({ MYPAY_STORES_FILE: file, WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' });
    expect(lines).toEqual([expect.stringMatching(/^MYPAY_STORES_FILE: .*webhooks\.0\.secrets: secret 1 must be whsec_/)]);
    expect(lines.join('\n')).not.toContain('whsec_short');
  });

  it('a worker process with a bad webhook setting exits 1 with the line, before taking any work', async () => {
    const require = createRequire(import.meta.url);
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const base = workerEnv({ redisUrl: 'redis://127.0.0.1:1', prefix: 'never', gatewayUrl: 'http://127.0.0.1:9/api/init' });
        const child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, 'src/main.ts', '--role', 'worker'], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('exit', (code) => resolve({ code, out }));
      });
    const [offList, badSecret] = await Promise.all([
      run({ WEBHOOK_URL: 'https://evil.example/hook', WEBHOOK_SECRET: oldSecret, WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' }),
      run({ WEBHOOK_URL: 'https://hooks.example.com/hook', WEBHOOK_SECRET: `${oldSecret},whsec_!!`, WEBHOOK_ALLOWED_HOSTS: 'hooks.example.com' }),
    ]);
    expect(offList.code, offList.out).toBe(1);
    expect(offList.out).toContain('configuration error: WEBHOOK_URL: host evil.example is not in WEBHOOK_ALLOWED_HOSTS (hooks.example.com)');
    expect(offList.out).not.toContain(oldSecret.slice(6));
    expect(badSecret.code, badSecret.out).toBe(1);
    expect(badSecret.out).toMatch(/configuration error: WEBHOOK_SECRET: secret 2 must be whsec_/);
    expect(badSecret.out).not.toContain(oldSecret.slice(6));
    expect(badSecret.out).not.toContain('"msg":"started"');
  });
});

describe('secret rotation', () => {
  let h: Harness;
  let receiver: Receiver;
  let worker: WorkerProcess | undefined;
  beforeAll(async () => {
    h = await startHarness({ sim: { serviceMs: 10 } });
    // The receiver verifies every request with each secret on its own (and refuses it if one fails).
    receiver = await startReceiver([oldSecret, nextSecret]);
    worker = await spawnWorker({
      redisUrl: h.redis.url, prefix: h.redis.prefix, gatewayUrl: h.sim.url,
      env: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: `${oldSecret},${nextSecret}`, WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_TYPES: 'charge.paid' },
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await receiver?.close();
    await h?.close();
  });

  it('two secrets: each delivery carries both signatures, each verifies with either secret alone; a third secret verifies nothing', async () => {
    const { operation } = await h.producer.enqueueCharge(charge(`rot-${Date.now()}`, 100, 'A03'));
    await h.waitForState(operation.id, ['paid'], 20_000);
    const r = await until(() => receiver.delivered().find((x) => (x.event.data.object as { id: string }).id === operation.id), 20_000, () => worker?.output().slice(-2000) ?? '');
    expect(receiver.bad).toEqual([]);
    // WEBHOOK_TYPES=charge.paid: only that event.
    expect(r.event.type).toBe('charge.paid');
    expect(receiver.requests.map((x) => x.event.type)).toEqual(['charge.paid']);
    const sigs = r.signature.split(' ');
    expect(sigs).toHaveLength(2);
    const headers = { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature };
    for (const s of [oldSecret, nextSecret]) {
      expect((new Webhook(s).verify(r.body, headers) as { id: string }).id).toBe(r.id);
      // Each secret's own signature alone is enough: a receiver still on the old secret, or already on the new one.
      const own = new Webhook(s).sign(r.id, new Date(Number(r.timestamp) * 1000), r.body);
      expect(sigs).toContain(own);
    }
    expect(() => new Webhook(newSecret()).verify(r.body, headers)).toThrow(/No matching signature/);
    // A tampered body fails with both secrets.
    expect(() => new Webhook(oldSecret).verify(r.body.replace('"paid"', '"refunded"'), headers)).toThrow();
    expect(worker!.output()).not.toContain(oldSecret.slice(6));
    expect(worker!.output()).not.toContain(nextSecret.slice(6));
  });
});
