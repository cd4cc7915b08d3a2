/**
 * Gateway callbacks (回報) are hints, never truth: a callback only makes the operation's status
 * query run now. It never changes a state by itself (a forged or stale callback can do no harm).
 */
import { operationId } from '../store/keys.js';
import type { Core } from '../queues/core.js';

export type CallbackHintResult = 'queried' | 'unknown_order' | 'not_followed_up';

export async function handleCallbackHint(core: Core, hint: { store_uid: string; order_id: string }): Promise<CallbackHintResult> {
  const charge = await core.store.get(operationId('charge', hint.store_uid, hint.order_id));
  if (!charge) return 'unknown_order';
  // The callback may be about the charge or about one of its refunds: query every one still open.
  const related = [charge, ...(await core.store.getMany(await core.store.children(charge.id)))];
  const open = related.filter((op) => op && (op.state === 'accepted' || op.state === 'unknown' || op.state === 'pending'));
  for (const op of open) await core.ensureStatusJob(op!, 0, true);
  return open.length ? 'queried' : 'not_followed_up';
}
