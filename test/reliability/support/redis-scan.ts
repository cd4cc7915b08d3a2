/** Every key of a Redis (or of one prefix) with its full value: for "nothing changed" and for secret scans. */
import type { Cluster, Redis } from 'ioredis';

export interface KeyDump {
  key: string;
  type: string;
  /** The value as text (hash/stream fields included), for comparisons and searching. */
  text: string;
  /** Hash fields (for hashes), to tell where in a record a match sits. */
  fields?: Record<string, string>;
}

export async function dumpKeys(redis: Redis | Cluster, match = '*'): Promise<KeyDump[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await (redis as Redis).scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  keys.sort();
  const out: KeyDump[] = [];
  for (const key of keys) {
    const type = await redis.type(key);
    let text = '';
    let fields: Record<string, string> | undefined;
    if (type === 'string') text = (await redis.get(key)) ?? '';
    else if (type === 'hash') {
      fields = await redis.hgetall(key);
      text = JSON.stringify(Object.entries(fields).sort());
    } else if (type === 'list') text = JSON.stringify(await redis.lrange(key, 0, -1));
    else if (type === 'set') text = JSON.stringify((await redis.smembers(key)).sort());
    else if (type === 'zset') text = JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES'));
    else if (type === 'stream') text = JSON.stringify(await redis.xrange(key, '-', '+'));
    else if (type === 'none') continue;
    out.push({ key, type, text, fields });
  }
  return out;
}

/** `key type value` lines: equal arrays = equal contents. */
export async function snapshot(redis: Redis | Cluster, match = '*'): Promise<Map<string, string>> {
  return new Map((await dumpKeys(redis, match)).map((d) => [d.key, `${d.type} ${d.text}`]));
}

/** Keys added, removed or changed between two snapshots, minus keys known to change on their own. */
export function diff(a: Map<string, string>, b: Map<string, string>, volatile: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (const [k, v] of b) if (!volatile.has(k) && a.get(k) !== v) out.push(a.has(k) ? `changed ${k}` : `added ${k}`);
  for (const k of a.keys()) if (!volatile.has(k) && !b.has(k)) out.push(`removed ${k}`);
  return out;
}
