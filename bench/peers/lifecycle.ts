/**
 * The charge lifecycle as a user would write it inside one BullMQ processor: POST the charge, then
 * `querydirect` every `pollMs` until a final prc. Both peers run exactly this, through the same
 * gateway client as ours, so the only difference between the three dispatchers is how they keep
 * one operation per terminal.
 */
import { interpretChargeQuery, type QueryRowLike } from '../../src/domain/operation/outcome.js';
import type { GatewayClient } from '../../src/gateway/index.js';
import type { OpTimes } from '../scenarios/support/dispatch.js';
import { sleep } from '../scenarios/support/measure.js';
import { STORE_KEY, STORE_UID, chargeInput } from '../scenarios/support/orchestrator.js';

export interface PeerJob {
  orderId: string;
  device: string;
}

const STORE = { store_uid: STORE_UID, key: STORE_KEY };

/** Returns the final state; throws what the gateway client throws (a busy terminal is a B500). */
export async function chargeUntilFinal(gateway: GatewayClient, job: PeerJob, pollMs: number, times: OpTimes, stopped: () => boolean): Promise<string> {
  times.postAt = Date.now();
  await gateway.send(STORE, 'api/postransaction', chargeInput(job.orderId, job.device));
  times.acceptedAt = Date.now();
  times.polls = 0;
  for (;;) {
    await sleep(pollMs);
    if (stopped()) throw new Error('bench stopped before the final state');
    times.polls++;
    const answer = await gateway.send(STORE, 'api/querydirect', { store_uid: STORE_UID, order_id: job.orderId, cost: '100' });
    const outcome = interpretChargeQuery((answer.rows ?? []) as QueryRowLike[], job.orderId, { cost: 100, notBefore: undefined });
    if (outcome.type === 'final') {
      times.finalAt = Date.now();
      times.state = outcome.state;
      return outcome.state;
    }
  }
}

/** Times for every planned op, filled in by the processors. */
export function timesFor(ops: readonly { orderId: string }[]): Map<string, OpTimes> {
  return new Map(ops.map((o) => [o.orderId, {}]));
}
