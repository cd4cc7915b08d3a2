/**
 * One clock for every host: windows and deadlines that different processes compare (the terminal
 * window after an unknown outcome, a resend deadline, the janitor's due times) are read on Redis'
 * clock. Each process measures its offset to Redis `TIME` (midpoint of the round trip, so the error
 * is at most half the round trip) and keeps it fresh; `now()` is the local clock plus that offset,
 * with no Redis round trip per reading. The claim fence itself is stamped inside its script from
 * `TIME`, so it does not depend on this estimate at all.
 */
import type { Redis, Cluster } from 'ioredis';

export interface RedisClock {
  now(): number;
  /** Last measured offset (Redis − local, ms) and its error bound (half the round trip). */
  readonly offsetMs: number;
  readonly errorMs: number;
  /** Measures once (call at start-up before taking work). */
  sync(): Promise<void>;
  stop(): void;
}

export function createRedisClock(redis: Redis | Cluster, options: { refreshMs?: number; local?: () => number } = {}): RedisClock {
  const local = options.local ?? Date.now;
  let offset = 0;
  let error = Number.POSITIVE_INFINITY;
  let timer: NodeJS.Timeout | undefined;

  async function sync(): Promise<void> {
    // Three samples, keep the one with the shortest round trip (the tightest bound).
    for (let i = 0; i < 3; i++) {
      const t0 = local();
      const [s, us] = await redis.time();
      const t1 = local();
      const half = (t1 - t0) / 2;
      if (half <= error || i === 0) {
        offset = Number(s) * 1000 + Math.floor(Number(us) / 1000) - (t0 + half);
        error = half;
      }
    }
  }

  const clock: RedisClock = {
    now: () => Math.round(local() + offset),
    get offsetMs() {
      return offset;
    },
    get errorMs() {
      return error;
    },
    async sync() {
      error = Number.POSITIVE_INFINITY;
      await sync();
      if (!timer && options.refreshMs !== 0) {
        timer = setInterval(() => {
          const keep = { offset, error };
          error = Number.POSITIVE_INFINITY;
          sync().catch(() => {
            offset = keep.offset;
            error = keep.error;
          });
        }, options.refreshMs ?? 30_000);
        timer.unref();
      }
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
  return clock;
}
