/**
 * Paid charges for batch tests and the bench, made fast: the same order (uid + key) is written to the
 * simulator's ledger and to our store as a `paid` charge record, as if a charge had run through the
 * orchestrator. Thousands in well under a second, where real charges would take minutes.
 */
import { randomBytes } from 'node:crypto';
import type { Core } from '../../../src/queues/core.js';
import { operationId } from '../../../src/store/keys.js';
import type { Simulator } from '../../../src/simulator/index.js';
import { deviceNames } from '../../../src/simulator/fleet.js';

export interface SeededCharge {
  order_id: string;
  uid: string;
  cost: number;
  device: string;
}

let nextUid = 500_000_000;

export async function seedPaidCharges(
  core: Core,
  sim: Simulator,
  opts: { count: number; prefix: string; cost?: number; devices?: number | string[]; storeUid: string },
): Promise<SeededCharge[]> {
  const devices = deviceNames(opts.devices ?? 10);
  const now = Date.now();
  const out: SeededCharge[] = [];
  const pipe = core.redis.pipeline();
  for (let i = 0; i < opts.count; i++) {
    const order_id = `${opts.prefix}-${i + 1}`;
    const device = devices[i % devices.length]!;
    const cost = opts.cost ?? 100;
    const uid = String(nextUid++);
    const key = randomBytes(16).toString('hex');
    sim.engine.seedPaid({ store_uid: opts.storeUid, order_id, uid, key, cost, items: [], device_name: device });
    const id = operationId('charge', opts.storeUid, order_id);
    const req = { store_uid: opts.storeUid, device_name: device, order_id, cost: String(cost), pfn: 'CREDITCARD' };
    pipe.hset(core.store.keys.op(id), {
      id, kind: 'charge', state: 'paid', lane: 'live', store: opts.storeUid, device, fp: 'seeded', req: JSON.stringify(req),
      order_id, cost, uid, key, prc: '250', created: now, updated: now, finished: now,
    });
    pipe.set(core.store.keys.uid(opts.storeUid, uid), id);
    out.push({ order_id, uid, cost, device });
  }
  await pipe.exec();
  return out;
}
