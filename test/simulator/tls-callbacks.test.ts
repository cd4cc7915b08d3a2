/** HTTPS with the self-signed certificate, and result callbacks (late, duplicate). */
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { refundCompleteCallbackSchema, transactionCompleteCallbackSchema } from '../../src/domain/schemas/answers/index.js';
import { STORE, charge, control, queryRow, send, startSim } from './helpers.js';

describe('HTTPS (SIM_TLS=1)', () => {
  it('serves /api/init over TLS ≥ 1.2 with a certificate clients can fetch and trust', async () => {
    const caFile = join(tmpdir(), `sim-ca-${process.pid}-${Date.now()}.pem`);
    const sim = await startSim({ tls: true, caFile });
    try {
      expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/api\/init$/);
      expect(sim.ca).toMatch(/BEGIN CERTIFICATE/);
      expect(await readFile(caFile, 'utf8')).toBe(sim.ca);
      expect(await control<string>(sim, 'GET', '/_sim/ca.pem')).toBe(sim.ca);
      expect(await send(sim, 'api/postransaction', charge('T-1', 100))).toEqual({ code: 'B200', msg: '執行成功。' });

      const protocol = await new Promise<string | null>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: sim.port, ca: sim.ca, servername: 'localhost' }, () => {
          resolve(s.getProtocol());
          s.end();
        });
        s.once('error', reject);
      });
      expect(['TLSv1.2', 'TLSv1.3']).toContain(protocol);
      const old = new Promise<void>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: sim.port, ca: sim.ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, () => {
          s.end();
          reject(new Error('TLS 1.1 accepted'));
        });
        s.once('error', () => resolve());
      });
      await old;
    } finally {
      await rm(caFile, { force: true });
    }
  });
});

describe('callbacks', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    if (server) await new Promise((r) => server?.close(r));
    server = undefined;
  });

  async function receiver(): Promise<{ url: string; received: { at: number; fields: Record<string, string> }[] }> {
    const received: { at: number; fields: Record<string, string> }[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ at: Date.now(), fields: Object.fromEntries(new URLSearchParams(body)) });
        res.end('OK');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cb`, received };
  }

  it('posts 『交易完成回傳資訊』 on each prc change and 『退款完成回傳資訊』 when a refund completes', async () => {
    const { url, received } = await receiver();
    const sim = await startSim({ callbackUrl: url, followUpMs: 50 });
    await send(sim, 'api/postransaction', charge('CB-1', 153, { echo_0: 'e0' }));
    await vi.waitFor(() => expect(received).toHaveLength(2), { timeout: 2_000, interval: 10 });
    expect(received.map((r) => r.fields.prc)).toEqual(['A0001', '250']);
    const paid = transactionCompleteCallbackSchema.parse(received[1]?.fields);
    expect(paid).toMatchObject({ order_id: 'CB-1', cost: '153', echo_0: 'e0' });
    const row = await queryRow(sim, 'CB-1', 153);
    await send(sim, 'api/posrefund', { store_uid: STORE.store_uid, device_name: 'A01', uid: row.uid, key: row.key, cost: 53 });
    await vi.waitFor(() => expect(received).toHaveLength(3), { timeout: 2_000, interval: 10 });
    const refund = refundCompleteCallbackSchema.parse(received[2]?.fields);
    expect(refund).toMatchObject({ uid: row.uid, prc: '230', cost: '53', order_id: 'CB-1' });
    expect(refund.refund_uid).not.toBe(row.uid);
    await vi.waitFor(() => expect(sim.engine.stats.callbacks).toEqual({ sent: 3, failed: 0 }), { timeout: 2_000, interval: 10 });
  });

  it('late and duplicate deliveries are injectable through POST /_sim/callbacks', async () => {
    const { url, received } = await receiver();
    const sim = await startSim();
    await control(sim, 'POST', '/_sim/callbacks', { url, delayMs: 150, duplicates: 1 });
    const sent = Date.now();
    await send(sim, 'api/postransaction', charge('CB-2', 100));
    await vi.waitFor(() => expect(received).toHaveLength(2), { timeout: 2_000, interval: 10 });
    expect(received[0]!.at - sent).toBeGreaterThanOrEqual(140);
    expect(received[0]?.fields).toEqual(received[1]?.fields);
  });
});
