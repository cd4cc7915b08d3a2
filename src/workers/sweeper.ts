/**
 * Lease sweeper: every worker process claims terminal leases whose expiry has passed (one process
 * wins each, see lua/sweep.lua) and puts their operation back on its way according to its recorded
 * state. It never sends anything itself and never frees a terminal whose operation may still be
 * running: an expired lease means "look", not "free".
 */
import { isFinalState } from '../domain/operation/states.js';
import { splitMember } from '../store/operations.js';
import type { WorkerContext } from './context.js';
import { releaseTerminal } from './handoff.js';

export async function sweepOnce(ctx: WorkerContext): Promise<number> {
  const { core } = ctx;
  const members = await core.store.claimExpiredLeases(core.now(), core.settings.leaseMs);
  for (const member of members) {
    const [store, device] = splitMember(member);
    const holder = await core.store.leaseHolder(store, device);
    if (!holder) {
      await core.redis.zrem(core.store.keys.leases, member);
      continue;
    }
    const op = await core.store.get(holder);
    if (!op) {
      ctx.logger.error({ store, device, opId: holder }, 'lease held by an operation without a record; handing the terminal on');
      await releaseTerminal(ctx, { id: holder, store, device, kind: 'charge' } as Parameters<typeof releaseTerminal>[1]);
      continue;
    }
    ctx.onEvent?.({ type: 'recovered', op, why: `lease expired in state ${op.state}` });
    ctx.logger.info({ store, device, opId: op.id, state: op.state }, 'recovering an expired terminal lease');
    if (isFinalState(op.state)) {
      await releaseTerminal(ctx, op);
    } else if (op.state === 'queued' || op.state === 'retry_wait') {
      await core.dispatch(op);
    } else if (op.state === 'sending') {
      const job = await core.deviceQueue.getJob(op.id);
      if (!job || (await job.getState()) !== 'active') await core.dispatch(op);
    } else {
      await core.ensureStatusJob(op, 0, true);
    }
  }
  return members.length;
}
