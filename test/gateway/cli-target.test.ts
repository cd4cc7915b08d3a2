/**
 * `mypay send`, `mypay refunds run` and `mypay retry` say, before they act, which gateway and which
 * store they are about to talk to: one line on stderr (`→ gateway <url> · store <store_uid>`), so an
 * operator never reaches production by accident. Never a key, never a password in a URL.
 * The real bin/mypay.js (tsx) as a child process, as in cli-send.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerJson, startServer, type TestServer } from '../support/gateway-server.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';
import { STORE, runMypay, type CliRun } from './helpers.js';

const PRODUCTION = 'https://ka.mypay.tw/api/init';

const mypay = runMypay;


let server: TestServer;
let redis: TestRedis;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mypay-cli-target-'));
  server = await startServer(answerJson({ code: 'B200', msg: '執行成功', rows: [] }));
  redis = await startTestRedis();
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const firstLine = (run: CliRun) => run.stderr.split('\n')[0] ?? '';
const noSecret = (run: CliRun, ...secrets: string[]) => {
  for (const s of [STORE.key, ...secrets]) expect(run.stdout + run.stderr).not.toContain(s);
};

describe('the CLI names its gateway and store before it acts', () => {
  it('mypay send: "→ gateway <MYPAY_URL> · store <store_uid>" first on stderr, then the request', async () => {
    const before = server.requests.length;
    const run = await mypay(['send', 'query', '--data', '{"order_id":"T-1","cost":"10"}'], {
      MYPAY_URL: server.url, MYPAY_ALLOWED_HOSTS: '127.0.0.1', MYPAY_STORE_UID: STORE.store_uid, MYPAY_STORE_KEY: STORE.key,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe(`→ gateway ${server.url} · store ${STORE.store_uid}\n`);
    expect(server.requests.length).toBe(before + 1);
    noSecret(run);
  });

  it('mypay send to a gateway that does not answer: the line comes before the failure', async () => {
    const run = await mypay(['send', 'query', '--data', '{"order_id":"T-1","cost":"10"}'], {
      MYPAY_URL: 'http://127.0.0.1:1/api/init', MYPAY_ALLOWED_HOSTS: '127.0.0.1', MYPAY_STORE_UID: STORE.store_uid, MYPAY_STORE_KEY: STORE.key,
    });
    expect(run.code).toBe(3);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toBe(`→ gateway http://127.0.0.1:1/api/init · store ${STORE.store_uid}`);
    expect(lines[1]).toMatch(/not delivered/);
  });

  it('mypay retry: the production gateway and the store, without the URL\'s credentials or the key, and the Redis it writes to', async () => {
    const run = await mypay(['retry', `charge.${STORE.store_uid}.nope`], {
      REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix,
      MYPAY_URL: 'https://ops:hunter2@ka.mypay.tw/api/init?token=s3cr3t', MYPAY_STORE_UID: STORE.store_uid, MYPAY_STORE_KEY: STORE.key,
    });
    expect(run.code).toBe(2);
    expect(firstLine(run)).toBe(`→ gateway ${PRODUCTION} · store ${STORE.store_uid} · redis ${redis.url.replace(/\/\/[^@/]*@/, '//***@')}`);
    expect(run.stderr).toMatch(/nope: no such operation/);
    noSecret(run, 'hunter2', 's3cr3t');
  });

  it('mypay refunds run: the line first, before the file is validated or anything enqueued', async () => {
    const file = join(dir, 'refunds.json');
    writeFileSync(file, JSON.stringify([{ order_id: 'nobody', cost: 10, refund_id: 'r-1' }]));
    const run = await mypay(['refunds', 'run', file, '--dry-run'], {
      REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, MYPAY_URL: PRODUCTION, MYPAY_STORE_UID: STORE.store_uid, MYPAY_STORE_KEY: STORE.key,
    });
    expect(firstLine(run), run.stderr).toMatch(new RegExp(`^→ gateway ${PRODUCTION.replace(/\./g, '\\.')} · store ${STORE.store_uid} · redis redis://`));
    expect(run.stderr.split('\n').filter((l) => l.startsWith('→ '))).toHaveLength(1);
    noSecret(run);
  });

  it('without MYPAY_URL (the workers use their own), it says so', async () => {
    const run = await mypay(['retry', `charge.${STORE.store_uid}.nope`], { REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix });
    expect(firstLine(run)).toMatch(/^→ gateway not set \(MYPAY_URL\) · store \S+ · redis redis:\/\//);
  });
});
