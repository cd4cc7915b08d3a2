/** `mypay send` end to end: the real bin/mypay.js (tsx) as a child process against an in-test gateway. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEnvelope, parseEnvelope } from '../../src/domain/codec/index.js';
import { answerJson, startServer, type TestServer } from '../support/gateway-server.js';
import { CHARGE, STORE, runMypay } from './helpers.js';


const mypay = runMypay;


const ROWS = [{ uid: '9001', key: 'charge-secret-key', prc: '250', order_id: 'ORD-0001', cost: '10' }];

let server: TestServer;
let dir: string;
const env = (): Record<string, string> => ({
  MYPAY_URL: server.url,
  MYPAY_ALLOWED_HOSTS: '127.0.0.1',
  MYPAY_STORE_UID: STORE.store_uid,
  MYPAY_STORE_KEY: STORE.key,
  MYPAY_ANSWER_TIMEOUT_MS: '3000',
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mypay-cli-'));
  // Answers by command: the test gateway decrypts like the real one would.
  server = await startServer((req, res, body) => {
    const { cmd, data } = openEnvelope(parseEnvelope(body, req.headers['content-type']), STORE.key);
    const d = data as { device_name?: string };
    if (cmd === 'api/querydirect') return answerJson({ code: 'B200', msg: '執行成功', rows: ROWS })(req, res, body);
    if (cmd === 'api/postransaction' && d.device_name === 'A99') return req.socket.destroy();
    if (cmd === 'api/postransaction') return answerJson({ code: 'B500', msg: `設備「${d.device_name}」目前未連線,請確認` })(req, res, body);
    return answerJson({ code: 'B200', msg: '執行成功。' })(req, res, body);
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mypay send', () => {
  it('query: prints the decoded answer (charge key redacted) and exits 0; store_uid is filled in', async () => {
    const before = server.requests.length;
    const run = await mypay(['send', 'query', '--data', JSON.stringify({ order_id: 'ORD-0001', cost: '10' })], env());
    // Only the line naming the gateway and the store (cli-target.test.ts).
    expect(run.stderr).toBe(`→ gateway ${server.url} · store ${STORE.store_uid}\n`);
    expect(run.code).toBe(0);
    const answer = JSON.parse(run.stdout) as { code: string; rows: Array<Record<string, string>> };
    expect(answer.code).toBe('B200');
    expect(answer.rows[0]).toMatchObject({ uid: '9001', prc: '250', key: '[redacted]' });
    expect(run.stdout).not.toContain('charge-secret-key');
    const req = server.requests[before]!;
    expect(openEnvelope(parseEnvelope(req.body, req.contentType), STORE.key)).toEqual({
      cmd: 'api/querydirect',
      data: { store_uid: STORE.store_uid, order_id: 'ORD-0001', cost: '10' },
    });
  });

  it('--show-key prints the charge key', async () => {
    const run = await mypay(['send', 'query', '--show-key', '--data', '{"order_id":"ORD-0001","cost":"10"}'], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('charge-secret-key');
  });

  it('charge from @file answered B500 offline: prints the answer, one line on stderr after the gateway line, exit 2', async () => {
    const file = join(dir, 'charge.json');
    writeFileSync(file, JSON.stringify(CHARGE));
    const run = await mypay(['send', 'charge', '--data', `@${file}`], env());
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({ code: 'B500', msg: '設備「A01」目前未連線,請確認' });
    expect(run.stderr.trim().split('\n')).toEqual([`→ gateway ${server.url} · store ${STORE.store_uid}`, expect.any(String)]);
    expect(run.stderr).toContain('terminal_offline');
    expect(run.stderr + run.stdout).not.toContain(STORE.key);
  });

  it('connection lost after the charge was written: outcome unknown, exit 4', async () => {
    const run = await mypay(['send', 'charge', '--data', JSON.stringify({ ...CHARGE, device_name: 'A99' })], env());
    expect(run.code).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([`→ gateway ${server.url} · store ${STORE.store_uid}`, expect.any(String)]);
    expect(run.stderr).toMatch(/outcome unknown.*may have acted.*mypay send query/);
  });

  it('gateway not reachable: not delivered, exit 3', async () => {
    const run = await mypay(['send', 'reprint-invoice', '--data', '{"device_name":"A01","uid":"1","key":"k","type":1}'], {
      ...env(),
      MYPAY_URL: 'http://127.0.0.1:1/api/init',
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/not delivered.*safe to resend/);
  });

  it('bad input or config: one line, exit 1, nothing sent', async () => {
    const before = server.requests.length;
    const badJson = await mypay(['send', 'query', '--data', '{nope'], env());
    expect(badJson.code).toBe(1);
    expect(badJson.stderr).toContain('--data is not valid JSON');
    const badHost = await mypay(['send', 'query', '--data', '{}'], { ...env(), MYPAY_ALLOWED_HOSTS: '' });
    expect(badHost.code).toBe(1);
    expect(badHost.stderr).toContain('not allow-listed');
    const otherStore = await mypay(['send', 'query', '--data', '{"store_uid":"999"}'], env());
    expect(otherStore.code).toBe(1);
    expect(otherStore.stderr).toContain('store 999 is not configured');
    expect(server.requests.length).toBe(before);
  });
});
