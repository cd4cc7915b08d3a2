/**
 * Lease sweeper: every worker process claims terminal leases whose expiry has passed (one process
 * wins each, see lua/sweep.lua) and puts their operation back on its way according to its recorded
 * state. It never sends anything itself and never frees a terminal whose operation may still be
 * running: an expired lease means "look", not "free". Each terminal is handled on its own: one that
 * fails (a poison record, a Redis error) does not stop the others.
 */
import { isFinalState } from '../domain/operation/states.js';
import { splitMember } from '../store/operations.js';
import type { WorkerContext } from './context.js';
import { releaseTerminal } from './handoff.js';
import { readOperation } from './read.js';

export async function sweepOnce(ctx: WorkerContext): Promise<number> {
  const { core } = ctx;
  const members = await core.store.claimExpiredLeases(core.now(), core.settings.leaseMs);
  for (const member of members) {
    try {
      await recover(ctx, member);
    } catch (err) {
      ctx.logger.error({ member, err: (err as Error).message }, 'lease recovery failed for this terminal; the next sweep tries again');
    }
  }
  return members.length;
}

async function recover(ctx: WorkerContext, member: string): Promise<void> {
  const { core } = ctx;
  const [store, device] = splitMember(member);
  const holder = await core.store.leaseHolder(store, device);
  if (!holder) return; // freed meanwhile; the next sweep drops the index entry
  let op;
  try {
    op = await readOperation(ctx, holder);
  } catch {
    op = null; // a poison record: moved to needs_review by readOperation; the terminal goes on
  }
  if (!op) {
    ctx.logger.error({ store, device, opId: holder }, 'lease held by an operation without a readable record; handing the terminal on');
    await releaseTerminal(ctx, { id: holder, store, device, kind: 'charge' });
    return;
  }
  ctx.onEvent?.({ type: 'recovered', op, why: `lease expired in state ${op.state}` });
  ctx.logger.info({ store, device, opId: op.id, state: op.state }, 'recovering an expired terminal lease');
  if (isFinalState(op.state)) {
    await releaseTerminal(ctx, op);
  } else if (op.state === 'queued' || op.state === 'retry_wait') {
    await core.dispatch(op);
  } else if (op.state === 'sending') {
    // Its job reruns and takes the claim over once the fence has passed (device.worker.ts takeOver).
    const job = await core.deviceQueue.getJob(op.id);
    if (!job || (await job.getState()) !== 'active') await core.dispatch(op);
  } else {
    await core.ensureStatusJob(op, 0, true);
  }
}
