/** `store_uid` in a request body: filled in when one store is configured, refused when not configured. */
import { HttpProblem } from './problem.js';

export function withStore(body: Record<string, unknown>, stores: readonly string[]): Record<string, unknown> {
  const given = body.store_uid;
  if ((given === undefined || given === null || given === '') && stores.length === 1) return { ...body, store_uid: stores[0] };
  if ((typeof given === 'string' || typeof given === 'number') && !stores.includes(String(given))) {
    throw new HttpProblem(400, 'validation', 'Invalid request', [{ field: 'store_uid', message: 'is not a store configured in this deployment' }]);
  }
  return body;
}
