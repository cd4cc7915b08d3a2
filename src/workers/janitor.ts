/**
 * The janitor (Kill Bill's, Hyperswitch's payment sync): something looks at every open operation,
 * whatever happened to its jobs. The scripts that change an operation keep it in an index of open
 * operations (`{tag}:open`) with the time by which its next step should have happened; a periodic
 * pass — one process at a time, a bounded number per pass — looks at those past due:
 * - a final record leaves the index (`not_received` stays until its late verification);
 * - a record that no longer parses goes to `needs_review` (it can never be followed up);
 * - an operation whose follow-up job is gone, failed or completed gets it back (`redrives` counted);
 *   one redriven `maxRedrives` times goes to `needs_review` instead of being retried for ever;
 * - one whose job is alive is looked at again `janitorRecheckMs` later.
 */
import { isFinalState } from '../domain/operation/states.js';
import { storedOperationSchema, type StoredOperation } from '../store/record.js';
import { statusJobId } from '../queues/registry.js';
import type { WorkerContext } from './context.js';
import { finishOperation } from './handoff.js';

const LIVE_JOB = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);

export interface JanitorPass {
  checked: number;
  redriven: number;
  reviewed: number;
  /** False when another process holds the pass. */
  ran: boolean;
}

export async function janitorOnce(ctx: WorkerContext): Promise<JanitorPass> {
  const { core } = ctx;
  const { settings, store } = core;
  const pass: JanitorPass = { checked: 0, redriven: 0, reviewed: 0, ran: false };
  const token = `${process.pid}.${Math.random().toString(36).slice(2)}`;
  const lockMs = Math.max(settings.janitorIntervalMs, 10_000);
  if (!(await store.takeJanitorLock(token, lockMs))) return pass;
  pass.ran = true;
  try {
    const now = core.now();
    for (const id of await store.dueOpen(now, settings.janitorBatch)) {
      pass.checked++;
      try {
        const outcome = await look(ctx, id);
        if (outcome === 'redriven') pass.redriven++;
        if (outcome === 'reviewed') pass.reviewed++;
      } catch (err) {
        ctx.logger.error({ opId: id, err: (err as Error).message }, 'janitor could not look at this operation; next pass tries again');
        await store.setJanitorDue(id, core.now() + settings.janitorRecheckMs).catch(() => undefined);
      }
    }
  } finally {
    // Release only our own lock (a slow pass may have lost it to another process).
    await store.releaseJanitorLock(token).catch(() => undefined);
  }
  for (const action of ['checked', 'redriven', 'reviewed'] as const) if (pass[action]) ctx.onEvent?.({ type: 'janitor', action, count: pass[action] });
  if (pass.redriven || pass.reviewed) ctx.logger.warn(pass, 'janitor pass: follow-ups re-created or operations sent to review');
  return pass;
}

async function look(ctx: WorkerContext, id: string): Promise<'ok' | 'redriven' | 'reviewed' | 'dropped'> {
  const { core } = ctx;
  const { store, settings } = core;
  const raw = await store.raw(id);
  if (!raw.state) {
    await store.dropOpen(id);
    return 'dropped';
  }
  const parsed = storedOperationSchema.safeParse(raw);
  if (!parsed.success) {
    const reason = `record no longer parses: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    await store.markPoison(id, reason, core.now());
    ctx.logger.error({ opId: id, reason }, 'janitor: poison record moved to needs_review');
    return 'reviewed';
  }
  const op = parsed.data;
  if (op.state === 'not_received' && op.retry_requested) {
    // An explicit retry waits for its fresh query: make sure it runs now, whatever its job is doing.
    await core.ensureStatusJob(op, 0, true);
    await store.setJanitorDue(id, core.now() + settings.janitorGraceMs);
    return 'ok';
  }
  if (isFinalState(op.state) && !(op.state === 'not_received' && op.reverified === undefined)) {
    await store.dropOpen(id);
    return 'dropped';
  }
  if (await followUpAlive(ctx, op)) {
    await store.setJanitorDue(id, core.now() + settings.janitorRecheckMs);
    return 'ok';
  }
  if ((op.redrives ?? 0) >= settings.maxRedrives && !isFinalState(op.state)) {
    const why = `its follow-up was lost or kept failing ${op.redrives} times (last job gone or failed); a person must look`;
    await finishOperation(ctx, op, 'needs_review', { review: why, msg: why });
    return 'reviewed';
  }
  await store.noteRedrive(id);
  await store.audit(op, 'janitor', { state: op.state, redrive: (op.redrives ?? 0) + 1 }, 'follow-up re-created by the janitor');
  if (op.state === 'queued' || op.state === 'retry_wait' || op.state === 'sending') await core.dispatch(op);
  else if (op.state === 'not_received') await core.ensureStatusJob(op, Math.max(0, (op.unknown_at ?? op.created) + settings.poll.maxAgeMs - core.now()));
  else await core.ensureStatusJob(op, 0, true);
  await store.setJanitorDue(id, core.now() + settings.janitorRecheckMs);
  return 'redriven';
}

/** Is there a job that will move this operation on? */
async function followUpAlive(ctx: WorkerContext, op: StoredOperation): Promise<boolean> {
  const { core } = ctx;
  const alive = async (job: { getState(): Promise<string> } | undefined) => (job ? LIVE_JOB.has(await job.getState()) : false);
  const device = await core.deviceQueue.getJob(op.id);
  if (op.state === 'queued' || op.state === 'retry_wait' || op.state === 'sending') return alive(device);
  // Followed up by its status job — or, right after a B200, inside its running device job.
  if (await alive(await core.statusQueue.getJob(statusJobId(op.id)))) return true;
  return device ? (await device.getState()) === 'active' : false;
}
