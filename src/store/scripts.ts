/** Loads the Lua scripts of ./lua as ioredis commands (EVALSHA with automatic fallback). */
import { readFileSync } from 'node:fs';
import type { Redis, Cluster, Result } from 'ioredis';
import { promote as bullPromote } from 'bullmq/dist/esm/scripts/promote-9.js';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
/** A script that writes audit entries and merchant events gets the shared functions of lib/effects.lua first. */
const withEffects = (name: string) => `${lua('lib/effects')}\n${lua(name)}`;
/**
 * BullMQ's own promote script (of the installed version, so it cannot drift from the queue's layout)
 * as a Lua function `bull_promote(KEYS, ARGV)`: the finish script promotes the next operation's
 * parked job in the same step as the hand-off.
 */
const bullPromoteFn = `local function bull_promote(KEYS, ARGV)\n${bullPromote.content}\nend\n`;

export const SCRIPTS = {
  mypayEnqueue: { numberOfKeys: 10, lua: withEffects('enqueue') },
  mypayClaim: { numberOfKeys: 6, lua: withEffects('claim') },
  mypayTransition: { numberOfKeys: 8, lua: withEffects('transition') },
  mypayFinish: { numberOfKeys: 23, lua: `${bullPromoteFn}${withEffects('finish')}` },
  mypayRenew: { numberOfKeys: 3, lua: lua('renew') },
  mypaySweep: { numberOfKeys: 1, lua: lua('sweep') },
  mypayRequeue: { numberOfKeys: 7, lua: withEffects('requeue') },
  mypayAnnotate: { numberOfKeys: 2, lua: lua('annotate') },
  mypayPoison: { numberOfKeys: 4, lua: withEffects('poison') },
  mypayComplete: { numberOfKeys: 2, lua: withEffects('complete') },
  /** A running job's log lines, only while the job exists (as BullMQ's addLog): KEYS job hash, its logs list. */
  mypayJobLog: { numberOfKeys: 2, lua: "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('RPUSH', KEYS[2], unpack(ARGV)) end return 0" },
} as const;

type Args = (string | number)[];
/** enqueue.lua's reply: status, value, and for a replay the lease holder and the record's field/value list. */
export type EnqueueReply = [status: string, value?: string, holder?: string, record?: string[]];
export interface ScriptCommands {
  mypayEnqueue(...args: Args): Promise<EnqueueReply>;
  mypayClaim(...args: Args): Promise<string[]>;
  mypayRenew(...args: Args): Promise<number>;
  mypayRequeue(...args: Args): Promise<string[]>;
  mypayAnnotate(...args: Args): Promise<number>;
  mypayTransition(...args: Args): Promise<string[]>;
  mypayFinish(...args: Args): Promise<string[]>;
  mypaySweep(...args: Args): Promise<string[]>;
  mypayPoison(...args: Args): Promise<number>;
  mypayComplete(...args: Args): Promise<number>;
  mypayJobLog(...args: Args): Promise<number>;
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    mypayEnqueue(...args: Args): Result<EnqueueReply, Context>;
    mypayClaim(...args: Args): Result<string[], Context>;
    mypayRenew(...args: Args): Result<number, Context>;
    mypayRequeue(...args: Args): Result<string[], Context>;
    mypayAnnotate(...args: Args): Result<number, Context>;
    mypayTransition(...args: Args): Result<string[], Context>;
    mypayFinish(...args: Args): Result<string[], Context>;
    mypaySweep(...args: Args): Result<string[], Context>;
    mypayPoison(...args: Args): Result<number, Context>;
    mypayComplete(...args: Args): Result<number, Context>;
    mypayJobLog(...args: Args): Result<number, Context>;
  }
}

export function defineScripts(redis: Redis | Cluster): void {
  for (const [name, def] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, def);
  }
}
