/**
 * One conformance suite for every MYPAY LINK gateway we can talk to: the same tests run against
 * every gateway implementation (the simulator, a real gateway), so they cannot drift apart. It drives the gateway only through
 * the gateway client, so it checks the client and the gateway against each other: what the gateway
 * answers, and how the client classifies it.
 *
 * `factory` builds a fresh gateway + client per test. Tests that need powers a real gateway does not
 * offer (taking a terminal offline, a known busy window) are skipped when the harness lacks them.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Command } from '../../src/domain/codec/index.js';
import { classifyPrc } from '../../src/domain/prc.js';
import { basicAnswerSchema, isNotFoundRow, queryAnswerSchema } from '../../src/domain/schemas/answers/index.js';
import { GatewayRejectedError, type GatewayClient, type StoreRef } from '../../src/gateway/index.js';

export interface GatewayHarness {
  client: GatewayClient;
  store: StoreRef;
  /** Two idle terminals of `store`. */
  devices: readonly [string, string];
  /** A store the gateway does not know (any 32-byte key). */
  unknownStore: StoreRef;
  /** How long a charge keeps its terminal busy, when known and > 0: enables the busy test. */
  busyWindowMs?: number;
  /** How long to wait for a charge to reach its final prc. */
  settleMs: number;
  /** Take a terminal offline / online, when the gateway can be told to. */
  setOnline?(device: string, online: boolean): Promise<void>;
  close(): Promise<void>;
}

const rejection = async (p: Promise<unknown>): Promise<GatewayRejectedError> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayRejectedError);
    return err as GatewayRejectedError;
  }
  throw new Error('expected a B500 rejection');
};

export function gatewayConformance(name: string, factory: () => Promise<GatewayHarness>): void {
  describe(`gateway conformance: ${name}`, () => {
    let h: GatewayHarness;
    let prefix: string;
    beforeEach(async () => {
      h = await factory();
      prefix = `C${randomBytes(3).toString('hex')}`;
    });
    afterEach(async () => {
      await h.close();
    });

    const send = (cmd: Command, data: Record<string, unknown>) => h.client.send(h.store, cmd, { store_uid: h.store.store_uid, ...data });
    const chargeData = (orderId: string, device = h.devices[0], cost = '100') => ({
      device_name: device,
      order_id: orderId,
      cost,
      pfn: 'CREDITCARD',
      items: [{ id: '1', name: '拿鐵', cost, amount: '1', total: cost }],
    });
    const query = async (orderId: string, cost = '100') => {
      const answer = queryAnswerSchema.parse(await send('api/querydirect', { order_id: orderId, cost }));
      expect(answer.rows.length).toBeGreaterThan(0);
      return answer.rows[0]!;
    };
    const settled = async (orderId: string) => {
      await vi.waitFor(async () => expect(classifyPrc((await query(orderId)).prc)).toBe('success'), { timeout: h.settleMs, interval: 25 });
      return query(orderId);
    };

    it('a charge is accepted (B200) and querydirect follows it to paid, with uid and key', async () => {
      const answer = await send('api/postransaction', chargeData(`${prefix}-1`));
      expect(basicAnswerSchema.parse(answer).code).toBe('B200');
      const row = await settled(`${prefix}-1`);
      expect(row).toMatchObject({ order_id: `${prefix}-1`, prc: '250', cost: '100' });
      expect(row.uid).not.toBe('');
      expect(row.key).not.toBe('');
    });

    it('querydirect for an unknown order answers B200 with a 查無資料 row', async () => {
      const row = await query(`${prefix}-none`);
      expect(isNotFoundRow(row)).toBe(true);
      expect(row.retmsg).toBe('查無資料');
    });

    it('partial refunds with uid + key are accepted and appear as refund_order rows with prc 230', async () => {
      await send('api/postransaction', chargeData(`${prefix}-r`));
      const row = await settled(`${prefix}-r`);
      const ref = { device_name: h.devices[1], uid: row.uid, key: row.key };
      expect((await send('api/posrefund', { ...ref, cost: '40' })).code).toBe('B200');
      // A refund may be listed while the terminal still works on it (prc 200): wait for it to finish.
      await vi.waitFor(async () => expect((await query(`${prefix}-r`)).refund_order.map((r) => r.prc)).toEqual(['230']), { timeout: h.settleMs, interval: 25 });
      await vi.waitFor(async () => expect((await send('api/posrefund', { ...ref, cost: '60' })).code).toBe('B200'), { timeout: h.settleMs, interval: 25 });
      await vi.waitFor(async () => expect((await query(`${prefix}-r`)).refund_order.map((r) => r.prc)).toEqual(['230', '230']), { timeout: h.settleMs, interval: 25 });
      const over = await rejection(send('api/posrefund', { ...ref, device_name: h.devices[0], cost: '1' }));
      expect(over.reason).toBe('invalid_data');
      expect(over.retryable).toBe(false);
    });

    it('reprints of a paid order are accepted', async () => {
      await send('api/postransaction', chargeData(`${prefix}-p`));
      const row = await settled(`${prefix}-p`);
      const ref = { uid: row.uid, key: row.key };
      expect((await send('api/posreprintinvoice', { ...ref, device_name: h.devices[0], type: 1, print_type: 2 })).code).toBe('B200');
      expect((await send('api/posreprintsignature', { ...ref, device_name: h.devices[1] })).code).toBe('B200');
    });

    it('bad data, an unknown terminal and a wrong refund key are rejected as invalid_data, not retryable', async () => {
      for (const p of [
        send('api/postransaction', { ...chargeData(`${prefix}-bad`), cost: '0' }),
        send('api/postransaction', chargeData(`${prefix}-dev`, 'NO-SUCH-TERMINAL')),
        send('api/posrefund', { device_name: h.devices[0], uid: '1', key: '0'.repeat(32), cost: '1' }),
      ]) {
        const err = await rejection(p);
        expect(err.reason).toBe('invalid_data');
        expect(err.retryable).toBe(false);
      }
    });

    it('an unknown store is rejected as unknown_store', async () => {
      const err = await rejection(h.client.send(h.unknownStore, 'api/querydirect', { store_uid: h.unknownStore.store_uid, order_id: 'x', cost: '1' }));
      expect(err.reason).toBe('unknown_store');
    });

    it('a repeated order_id is rejected and does not charge twice', async () => {
      await send('api/postransaction', chargeData(`${prefix}-dup`));
      await settled(`${prefix}-dup`);
      const err = await rejection(send('api/postransaction', chargeData(`${prefix}-dup`, h.devices[1])));
      expect(err.reason).not.toBe('terminal_busy');
      expect(err.retryable).toBe(false);
    });

    it('an operation for a busy terminal is rejected as terminal_busy (retryable)', async (ctx) => {
      if (!h.busyWindowMs) ctx.skip();
      // The second POST must reach the terminal within its service time after the first: on a loaded
      // machine it may not, so up to three tries (each with new orders); one of them must be refused.
      let err: GatewayRejectedError | undefined;
      for (let i = 0; i < 3 && !err; i++) {
        await send('api/postransaction', chargeData(`${prefix}-b${i}a`));
        err = await send('api/postransaction', chargeData(`${prefix}-b${i}b`)).then(() => undefined, (e: unknown) => (e instanceof GatewayRejectedError ? e : Promise.reject(e)));
        if (!err) await settled(`${prefix}-b${i}b`);
      }
      expect(err?.reason).toBe('terminal_busy');
      expect(err?.retryable).toBe(true);
    });

    it('an offline terminal is rejected as terminal_offline (retryable), and works again once online', async (ctx) => {
      if (!h.setOnline) ctx.skip();
      await h.setOnline!(h.devices[1], false);
      const err = await rejection(send('api/postransaction', chargeData(`${prefix}-off`, h.devices[1])));
      expect(err.reason).toBe('terminal_offline');
      expect(err.retryable).toBe(true);
      await h.setOnline!(h.devices[1], true);
      expect((await send('api/postransaction', chargeData(`${prefix}-off`, h.devices[1]))).code).toBe('B200');
    });
  });
}
