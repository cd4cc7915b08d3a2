/** Time as the simulator sees it; injectable so tests can drive service times and follow-ups. */
export interface Clock {
  now(): number;
  /** Runs `fn` after `ms`; the simulator runs `ms === 0` work synchronously and never calls this for it. */
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending follow-up must never keep a test process or `npm run simulator` alive after close().
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** `YYYYMMDDHHmmss` in Taiwan time (UTC+8, no DST), as the spec's finishtime fields. */
export function twTimestamp(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** `YYYYMMDD` in Taiwan time. */
export const twDate = (ms: number): string => twTimestamp(ms).slice(0, 8);
