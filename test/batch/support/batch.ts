/** Helpers for batch tests: CSV text from rows, a Redis snapshot to prove nothing changed, waiting for a batch. */
import type { Core } from '../../../src/queues/core.js';
import { getBatchStatus, type BatchStatus } from '../../../src/batch/index.js';

export function csv(header: string[], rows: (string | number | undefined)[][]): string {
  const cell = (v: string | number | undefined) => {
    const s = v === undefined ? '' : String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header.join(','), ...rows.map((r) => header.map((_, i) => cell(r[i])).join(','))].join('\n') + '\n';
}

/** Every key with its type and value (order-independent where Redis is): equal snapshots = Redis unchanged. */
export async function snapshot(core: Core): Promise<string[]> {
  const r = core.redis;
  const keys = (await r.keys('*')).sort();
  const out: string[] = [];
  for (const k of keys) {
    const type = await r.type(k);
    let value: unknown;
    if (type === 'string') value = await r.get(k);
    else if (type === 'hash') value = Object.entries(await r.hgetall(k)).sort();
    else if (type === 'list') value = await r.lrange(k, 0, -1);
    else if (type === 'set') value = (await r.smembers(k)).sort();
    else if (type === 'zset') value = await r.zrange(k, 0, -1, 'WITHSCORES');
    else if (type === 'stream') value = await r.xrange(k, '-', '+');
    out.push(`${k} ${type} ${JSON.stringify(value)}`);
  }
  return out;
}

export async function waitForBatch(core: Core, batchId: string, timeoutMs = 30_000, until: (s: BatchStatus) => boolean = (s) => s.state === 'complete' && s.parent === 'completed'): Promise<BatchStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: BatchStatus | null = null;
  while (Date.now() < deadline) {
    last = await getBatchStatus(core, batchId, { rows: true });
    if (last && until(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`batch ${batchId} not done: ${JSON.stringify(last && { state: last.state, parent: last.parent, counts: last.counts })}`);
}
