/**
 * Client-side count of the commands this process sends to Redis, by name — EVALSHA/EVAL broken down
 * by script (BullMQ's `moveToActive-11:…`, our `mypayFinish` …) — and how many of them went out in a
 * pipeline. Together with the server's INFO commandstats (which also counts the calls made inside
 * Lua scripts) this says where a payment's Redis work goes: round trips vs work inside scripts.
 *
 * It wraps `Redis.prototype.sendCommand` while installed: every ioredis connection in the process,
 * including the blocking connections BullMQ workers duplicate, is counted.
 */
import { Redis } from 'ioredis';

type SendCommand = (this: Redis, command: { name: string; args: unknown[] }, stream?: unknown, ...rest: unknown[]) => unknown;

export interface CommandCounts {
  /** name → commands sent (script calls as `script:<name>`). */
  byName: Map<string, number>;
  /** Commands written as part of a pipeline (`stream` passed by ioredis' pipeline exec). */
  pipelined: number;
  total: number;
}

const shaNames = new Map<string, string>();

function scriptName(client: Redis, sha: string): string {
  const known = shaNames.get(sha);
  if (known) return known;
  const set = (client as unknown as { scriptsSet?: Record<string, { sha: string }> }).scriptsSet ?? {};
  for (const [name, script] of Object.entries(set)) shaNames.set(script.sha, name.replace(/:\d+\.\d+\.\d+$/, ''));
  return shaNames.get(sha) ?? `sha:${sha.slice(0, 8)}`;
}

let active: CommandCounts | null = null;
let original: SendCommand | null = null;

export function startCounting(): CommandCounts {
  const counts: CommandCounts = { byName: new Map(), pipelined: 0, total: 0 };
  active = counts;
  if (!original) {
    const proto = Redis.prototype as unknown as { sendCommand: SendCommand };
    original = proto.sendCommand;
    const orig = original;
    proto.sendCommand = function (this: Redis, command, stream, ...rest) {
      const c = active;
      if (c) {
        let name = String(command.name).toLowerCase();
        if (name === 'evalsha') name = `script:${scriptName(this, String(command.args[0]))}`;
        else if (name === 'eval') name = 'eval (script load)';
        c.byName.set(name, (c.byName.get(name) ?? 0) + 1);
        c.total++;
        if (stream) c.pipelined++;
      }
      return orig.call(this, command, stream, ...rest);
    };
  }
  return counts;
}

/** Stops counting (the wrapper stays installed but idle; it costs one branch per command). */
export function stopCounting(): void {
  active = null;
}
