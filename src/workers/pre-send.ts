/**
 * The step before a claim that only reads: one `querydirect` of the order. For a refund it records
 * the charge's refund rows (only a row that did not exist yet can be ours) and checks the refundable
 * balance at the gateway (also for charges we did not make). For any operation with an earlier
 * outcome-unknown POST (an explicit retry) it checks that POST did not land after all; if it did,
 * the operation is settled by query and never sent again.
 */
import type { Logger } from 'pino';
import { chargeSnapshot, interpretChargeQuery, interpretRefundQuery, type QueryRowLike } from '../domain/operation/outcome.js';
import { isGatewayError } from '../gateway/errors.js';
import type { StoredOperation } from '../store/record.js';
import { redactAnswer, type WorkerContext } from './context.js';

export type Check = { type: 'ok'; uids?: string[] } | { type: 'retry'; message: string } | { type: 'refuse'; message: string } | { type: 'earlier'; message: string };

export function createPreSend(ctx: WorkerContext) {
  const { core } = ctx;
  const { settings } = core;
  const due = (afterMs: number) => core.now() + afterMs + settings.janitorGraceMs;

  /**
   * One `querydirect` of the order before the POST (a read: safe to repeat). For a refund: the
   * charge's refund rows and refundable balance. For any operation with an earlier outcome-unknown
   * POST: whether that POST shows at the gateway after all (then it must not be sent again).
   */
  async function preSendCheck(op: StoredOperation, key: string, earlier: boolean): Promise<Check> {
    const orderCost = op.kind === 'refund' ? (op.order_cost ?? (op.charge ? (await core.store.get(op.charge))?.cost : undefined)) : op.cost;
    if (!op.order_id || orderCost === undefined) {
      return op.kind === 'refund' ? { type: 'refuse', message: 'the charge of this refund is unknown (order_id and its amount are needed to verify it at the gateway)' } : { type: 'ok' };
    }
    let rows: QueryRowLike[];
    try {
      const answer = await ctx.gateway.send({ store_uid: op.store, key }, 'api/querydirect', { store_uid: op.store, order_id: op.order_id, cost: String(orderCost) });
      rows = (answer.rows ?? []) as QueryRowLike[];
      await core.store.audit(op, 'query', { before: op.kind, answer: redactAnswer({ code: answer.code, msg: answer.msg, rows }), latencyMs: answer.latencyMs }, `query before the ${op.kind}`);
    } catch (err) {
      if (!isGatewayError(err)) throw err;
      return { type: 'retry', message: err.message };
    }
    if (earlier) {
      const firstSent = op.first_sent ?? op.sent;
      const notBefore = firstSent === undefined ? undefined : firstSent - settings.clockToleranceMs;
      const prior = op.kind === 'charge'
        ? interpretChargeQuery(rows, op.order_id, { cost: op.cost ?? 0, notBefore })
        : interpretRefundQuery(rows, op.order_id, {
            cost: op.cost ?? 0, notBefore, seen: op.seen_refunds ? new Set(JSON.parse(op.seen_refunds) as string[]) : undefined, claimed: await core.store.claimedRefundUids(op),
          });
      if (prior.type === 'final' || prior.type === 'pending' || prior.type === 'ambiguous' || (op.kind === 'charge' && prior.type === 'foreign')) {
        return { type: 'earlier', message: `an earlier attempt's POST shows at the gateway after all (${prior.type}${'prc' in prior ? ` prc ${prior.prc}` : ''}): not sent again` };
      }
    }
    if (op.kind !== 'refund') return { type: 'ok' };
    const snap = chargeSnapshot(rows, op.order_id, orderCost);
    if (!snap.found) return { type: 'refuse', message: `the gateway shows no charge ${op.order_id} of NT$${orderCost} to refund` };
    if ((op.cost ?? 0) > snap.refundable) {
      return { type: 'refuse', message: `refund of NT$${op.cost} exceeds the refundable balance at the gateway (NT$${snap.refundable}; charge prc ${snap.prc}, refunded NT$${snap.refunded})` };
    }
    return { type: 'ok', uids: snap.refundUids };
  }

  /** A new attempt finds the earlier one at the gateway: no POST; the follow-up settles it, flagged. */
  async function earlierAttemptLanded(op: StoredOperation, message: string, log: Logger): Promise<string> {
    const now = core.now();
    const moved = await core.store.transition(op, 'unknown', {
      expect: [op.state], now, janitorDue: due(settings.poll.denseIntervalMs),
      fields: { msg: message, unknown_at: now, review: `late row: ${message}` },
    });
    if (!moved.ok) return moved.reason === 'stale' ? moved.state : moved.reason;
    log.error({ why: message }, 'an earlier POST of this operation landed late: settled by query, flagged for review');
    await core.ensureStatusJob({ ...op, state: 'unknown' }, 0);
    return 'unknown';
  }


  return { preSendCheck, earlierAttemptLanded };
}
