/** Reading an operation record in a worker: one that no longer parses is a poison record. */
import { UnrecoverableError } from 'bullmq';
import { ZodError } from 'zod';
import type { StoredOperation } from '../store/record.js';
import type { WorkerContext } from './context.js';

/**
 * Reads a record; one that no longer parses goes to `needs_review` (with the reason) and its job
 * fails for good (BullMQ's `UnrecoverableError`: retrying cannot fix it).
 */
export async function readOperation(ctx: WorkerContext, opId: string): Promise<StoredOperation | null> {
  try {
    return await ctx.core.store.get(opId);
  } catch (err) {
    if (!(err instanceof ZodError)) throw err;
    const reason = `record no longer parses: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    await ctx.core.store.markPoison(opId, reason, ctx.core.now());
    ctx.logger.error({ opId, reason }, 'operation moved to needs_review: its record cannot be read');
    throw new UnrecoverableError(reason);
  }
}
