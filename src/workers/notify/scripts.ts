/** The webhook delivery scripts (./lua), loaded as ioredis commands beside the store's (batch/send-gate.ts does the same). */
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

const DEFS = {
  notifyGate: { numberOfKeys: 5, lua: lua('gate') },
  notifyDone: { numberOfKeys: 5, lua: lua('done') },
  notifyLock: { numberOfKeys: 1, lua: lua('lock') },
  notifyNudge: { numberOfKeys: 2, lua: lua('nudge') },
  // Variable key counts: the first argument is the number of keys.
  notifyDispatch: { lua: lua('dispatch') },
  notifyReplay: { lua: lua('replay') },
} as const;

type Args = (string | number)[];
export interface NotifyScripts {
  notifyGate(...args: Args): Promise<string[]>;
  notifyDone(...args: Args): Promise<string[]>;
  notifyLock(...args: Args): Promise<number>;
  notifyNudge(...args: Args): Promise<string | null>;
  notifyDispatch(...args: Args): Promise<number[]>;
  notifyReplay(...args: Args): Promise<number>;
}

/** The connection with the scripts defined (idempotent). */
export function notifyScripts(redis: Redis | Cluster): NotifyScripts {
  for (const [name, def] of Object.entries(DEFS)) {
    if (!(name in redis)) redis.defineCommand(name, def);
  }
  return redis as unknown as NotifyScripts;
}
