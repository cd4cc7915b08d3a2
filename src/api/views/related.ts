/** Refunds and reprints of a charge, from the store's per-charge index (`{tag}:children:<chargeOpId>`). */
import type { Core } from '../../queues/core.js';
import type { StoredOperation } from '../../store/record.js';

/** The refunds and reprints of `charge`, oldest first. */
export async function relatedOperations(core: Core, charge: StoredOperation): Promise<StoredOperation[]> {
  const ops = await core.store.getMany(await core.store.children(charge.id));
  return ops.filter((o): o is StoredOperation => o !== null).sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : 1));
}
