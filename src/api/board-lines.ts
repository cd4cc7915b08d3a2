/**
 * "waiting for terminal A05 behind 3" on the parked device jobs of Bull Board, instead of only "Will
 * run at <an hour later>" (a parked job is promoted by the hand-off, not by its timer). Bull Board's
 * name formatter is synchronous, so a middleware in front of its API reads, before each of its
 * requests, the line positions of the delayed device jobs it may show (the first `limit` of the
 * delayed set, and those it showed last time): one pipelined round trip.
 */
import type { RequestHandler } from 'express';
import type { Core } from '../queues/core.js';
import { terminalMember } from '../store/keys.js';

interface Position {
  device: string;
  /** Operations ahead of it: the one holding the terminal, then those before it in line. */
  ahead: number;
}

export interface LinePositions {
  /** Refreshes the positions (express middleware for the board's API requests). */
  refresh: RequestHandler;
  /** Bull Board's name formatter of the device queue. */
  name(job: { name?: string; id?: string; data?: unknown }): string;
}

export function linePositions(core: Core, limit = 200): LinePositions {
  let positions = new Map<string, Position>();
  const shown = new Set<string>();
  const delayedKey = `${core.prefix}:${core.deviceQueue.name}:delayed`;

  async function read(): Promise<void> {
    const ids = new Set([...(await core.redis.zrange(delayedKey, 0, limit - 1)), ...shown]);
    shown.clear();
    if (ids.size === 0) {
      positions = new Map();
      return;
    }
    const list = [...ids];
    const who = await core.redis.pipeline(list.map((id) => ['hmget', core.store.keys.op(id), 'store', 'device', 'lane', 'state'])).exec();
    const k = core.store.keys;
    const pipe = core.redis.pipeline();
    const asked: { id: string; device: string }[] = [];
    (who ?? []).forEach(([err, v], i) => {
      const [store, device, lane, state] = (v as (string | null)[] | null) ?? [];
      if (err || !store || !device || (state !== 'queued' && state !== 'retry_wait')) return;
      const member = terminalMember(store, device);
      pipe.lpos(lane === 'bulk' ? k.mailboxBulk(member) : k.mailboxLive(member), list[i]!);
      pipe.llen(k.mailboxLive(member));
      asked.push({ id: list[i]!, device });
    });
    const res = asked.length ? ((await pipe.exec()) ?? []) : [];
    const next = new Map<string, Position>();
    const lanes = new Map((who ?? []).map(([, v], i) => [list[i]!, ((v as (string | null)[] | null) ?? [])[2]]));
    asked.forEach(({ id, device }, i) => {
      const pos = res[2 * i]?.[1] as number | null;
      const liveLen = Number(res[2 * i + 1]?.[1] ?? 0);
      if (pos === null || pos === undefined) return; // not in a line (holds the terminal, or moved on)
      // Batch refunds are served after every live operation.
      next.set(id, { device, ahead: 1 + pos + (lanes.get(id) === 'bulk' ? liveLen : 0) });
    });
    positions = next;
  }

  return {
    refresh: (_req, _res, next) => {
      read().then(() => next(), () => next());
    },
    name(job) {
      const base = job.name ?? '';
      const id = job.id ?? (job.data as { opId?: string } | undefined)?.opId;
      if (!id) return base;
      shown.add(id);
      const p = positions.get(id);
      return p ? `${base} — waiting for terminal ${p.device} behind ${p.ahead}` : base;
    },
  };
}
