/** Loads the Lua scripts of ./lua as ioredis commands (EVALSHA with automatic fallback). */
import { readFileSync } from 'node:fs';
import type { Redis, Cluster, Result } from 'ioredis';

const lua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

export const SCRIPTS = {
  mypayEnqueue: { numberOfKeys: 8, lua: lua('enqueue') },
  mypayTransition: { numberOfKeys: 3, lua: lua('transition') },
  mypayFinish: { numberOfKeys: 9, lua: lua('finish') },
  mypaySweep: { numberOfKeys: 1, lua: lua('sweep') },
} as const;

type Args = (string | number)[];
export interface ScriptCommands {
  mypayEnqueue(...args: Args): Promise<string[]>;
  mypayTransition(...args: Args): Promise<string[]>;
  mypayFinish(...args: Args): Promise<string[]>;
  mypaySweep(...args: Args): Promise<string[]>;
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    mypayEnqueue(...args: Args): Result<string[], Context>;
    mypayTransition(...args: Args): Result<string[], Context>;
    mypayFinish(...args: Args): Result<string[], Context>;
    mypaySweep(...args: Args): Result<string[], Context>;
  }
}

export function defineScripts(redis: Redis | Cluster): void {
  for (const [name, def] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, def);
  }
}
