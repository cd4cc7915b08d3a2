/**
 * How durable a write to Redis is when Redis acknowledges it, and whether that is enough.
 *
 * Before a worker POSTs a charge or refund it writes the `sending` claim (one Lua script). If that
 * write is lost — a host crash with `appendfsync everysec`, or an asynchronous failover to a replica
 * that never got it — another worker may send the same money movement again. So the claim must be
 * durable before the POST (docs/OPERATIONS.md › Durability of the claim before a POST).
 *
 * The setting `REDIS_DURABILITY` says what is required:
 *
 * - `always` (default): AOF on with `appendfsync always` — Redis fsyncs before it replies;
 * - `replica`: at least N online replicas, and the worker calls `WAIT N <timeout>` after each claim;
 * - `everysec`: AOF on with `appendfsync everysec` (a host crash may lose the last second);
 * - `none`: nothing required (tests, demo).
 *
 * The pure part (`parseRequiredDurability`, `durabilityLevel`, `durabilityBelow`,
 * `parseDurabilityFacts`) is separate from the I/O (`inspectDurability`, `waitForReplicas`), so it
 * is tested by a table.
 */

/** What `REDIS_DURABILITY` may say, weakest last. */
export const REQUIRED_DURABILITY_MODES = ['always', 'replica', 'everysec', 'none'] as const;
export type RequiredDurabilityMode = (typeof REQUIRED_DURABILITY_MODES)[number];

export interface RequiredDurability {
  mode: RequiredDurabilityMode;
  /** For `replica`: how many online replicas must exist (and acknowledge each claim through WAIT). */
  replicas: number;
}

export const DEFAULT_REQUIRED_DURABILITY: RequiredDurability = { mode: 'always', replicas: 1 };

/** What the server offers, strongest first; `unknown` when it cannot be read (managed Redis without CONFIG). */
export type DurabilityLevel = 'fsync_always' | 'replica_wait' | 'everysec' | 'none' | 'unknown';

/** The facts read from the server; `null` = could not be read. */
export interface DurabilityFacts {
  appendonly: boolean | null;
  /** `always`, `everysec` or `no`, as CONFIG GET reports it. */
  appendfsync: string | null;
  /** Replicas in state `online` (INFO replication). */
  connectedReplicas: number | null;
}

export interface DurabilityInspection extends DurabilityFacts {
  level: DurabilityLevel;
  /** The server meets the requirement it was inspected against. */
  ok: boolean;
  /** One line for a log or an error: what was found and, when not ok, why it is not enough. */
  detail: string;
}

/**
 * `REDIS_DURABILITY` → the requirement. Empty/undefined → the default (`always`). `replica` takes its
 * count from `replicas` (default 1) or from the value itself, `replica:2`. Throws on anything else.
 */
export function parseRequiredDurability(value: string | undefined, replicas?: number): RequiredDurability {
  const raw = (value ?? '').trim().toLowerCase();
  if (raw === '') return { ...DEFAULT_REQUIRED_DURABILITY, replicas: replicas ?? DEFAULT_REQUIRED_DURABILITY.replicas };
  const [mode, count] = raw.split(':', 2) as [string, string | undefined];
  if (!(REQUIRED_DURABILITY_MODES as readonly string[]).includes(mode)) {
    throw new Error(`REDIS_DURABILITY: expected one of ${REQUIRED_DURABILITY_MODES.join(', ')}, got "${value}"`);
  }
  let n = replicas ?? 1;
  if (count !== undefined) {
    if (mode !== 'replica' || !/^\d+$/.test(count)) throw new Error(`REDIS_DURABILITY: "${value}" — only replica:<N> takes a count`);
    n = Number(count);
  }
  if (!Number.isInteger(n) || n < 1) throw new Error(`REDIS_DURABILITY: the replica count must be an integer ≥ 1, got ${n}`);
  return { mode: mode as RequiredDurabilityMode, replicas: n };
}

/**
 * The strongest level the facts establish. `none` is claimed only when it is known that there is
 * neither a synced AOF nor a replica; anything that cannot be established is `unknown`.
 * `replica_wait` means replicas exist to WAIT for — it protects a claim only if the worker WAITs.
 */
export function durabilityLevel(f: DurabilityFacts): DurabilityLevel {
  if (f.appendonly === true && f.appendfsync === 'always') return 'fsync_always';
  if (f.connectedReplicas !== null && f.connectedReplicas >= 1) return 'replica_wait';
  if (f.appendonly === true && f.appendfsync === 'everysec') return 'everysec';
  const noLocal = f.appendonly === false || (f.appendonly === true && f.appendfsync === 'no');
  if (noLocal && f.connectedReplicas === 0) return 'none';
  return 'unknown';
}

const aofText = (f: DurabilityFacts): string =>
  f.appendonly === null ? 'AOF unknown' : f.appendonly ? `AOF on, appendfsync ${f.appendfsync ?? 'unknown'}` : 'AOF off';
const replicaText = (n: number | null): string => (n === null ? 'replicas unknown' : `${n} online replica${n === 1 ? '' : 's'}`);

/** `appendonly yes, appendfsync always, 1 online replica` — what was found, in one line. */
export function describeFacts(f: DurabilityFacts): string {
  return `${aofText(f)}, ${replicaText(f.connectedReplicas)}`;
}

/**
 * A one-line reason when Redis is configured below what `required` asks for; `null` when it meets
 * it. A fact that could not be read (CONFIG GET disabled) and is needed gives a "cannot verify"
 * reason: whether that only warns or refuses to start is the caller's choice.
 */
export function durabilityBelow(required: RequiredDurability, inspected: DurabilityFacts): string | null {
  const f = inspected;
  switch (required.mode) {
    case 'none':
      return null;
    case 'everysec':
    case 'always': {
      const want = required.mode === 'always' ? 'appendonly yes + appendfsync always' : 'appendonly yes + appendfsync everysec or always';
      if (f.appendonly === false) return `REDIS_DURABILITY=${required.mode} needs ${want}, but AOF is off (appendonly no)`;
      if (f.appendonly === null) return `REDIS_DURABILITY=${required.mode} needs ${want}, cannot verify: appendonly could not be read (CONFIG GET and INFO persistence unavailable)`;
      if (f.appendfsync === null) return `REDIS_DURABILITY=${required.mode} needs ${want}, cannot verify: AOF is on but appendfsync could not be read (CONFIG GET disabled?)`;
      if (f.appendfsync === 'always') return null;
      if (required.mode === 'everysec' && f.appendfsync === 'everysec') return null;
      return `REDIS_DURABILITY=${required.mode} needs ${want}, but appendfsync is ${f.appendfsync}${f.appendfsync === 'no' ? ' (the kernel flushes when it likes)' : ' (a host crash may lose the last second)'}`;
    }
    case 'replica': {
      const n = required.replicas;
      if (f.connectedReplicas === null) return `REDIS_DURABILITY=replica needs ${n} online replica${n === 1 ? '' : 's'}, cannot verify: INFO replication could not be read`;
      if (f.connectedReplicas < n) return `REDIS_DURABILITY=replica needs ${n} online replica${n === 1 ? '' : 's'} to WAIT for, but the server has ${f.connectedReplicas}`;
      return null;
    }
  }
}

/** `INFO persistence` + `INFO replication` text → facts (appendfsync is not in INFO: CONFIG GET only). */
export function parseDurabilityFacts(input: { config: Record<string, string> | null; persistence: string | null; replication: string | null }): DurabilityFacts {
  const field = (text: string | null, name: string): string | null => (text === null ? null : (new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim() ?? null));
  let appendonly: boolean | null = null;
  const cfgAof = input.config?.appendonly;
  if (cfgAof === 'yes' || cfgAof === 'no') appendonly = cfgAof === 'yes';
  else {
    const aofEnabled = field(input.persistence, 'aof_enabled');
    if (aofEnabled === '0' || aofEnabled === '1') appendonly = aofEnabled === '1';
  }
  const fsync = input.config?.appendfsync;
  const appendfsync = fsync === undefined || fsync === '' ? null : fsync;
  let connectedReplicas: number | null = null;
  if (input.replication !== null) {
    const lines = [...input.replication.matchAll(/^slave\d+:(.*)$/gm)];
    if (lines.length > 0) connectedReplicas = lines.filter((m) => /(^|,)state=online(,|$)/.test(m[1]!.trim())).length;
    else {
      const n = field(input.replication, 'connected_slaves');
      connectedReplicas = n !== null && /^\d+$/.test(n) ? Number(n) : null;
    }
  }
  return { appendonly, appendfsync, connectedReplicas };
}

/** Evaluates facts against a requirement: the inspection `inspectDurability` returns. */
export function judgeDurability(facts: DurabilityFacts, required: RequiredDurability = DEFAULT_REQUIRED_DURABILITY): DurabilityInspection {
  const level = durabilityLevel(facts);
  const below = durabilityBelow(required, facts);
  const detail = `${describeFacts(facts)} (level ${level})${below ? `; ${below}` : `; meets REDIS_DURABILITY=${required.mode}${required.mode === 'replica' ? `:${required.replicas}` : ''}`}`;
  return { ...facts, level, ok: below === null, detail };
}

/** What `inspectDurability` needs of a connection (an ioredis `Redis` has it). */
export interface RedisCaller {
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

async function tryCall(redis: RedisCaller, ...args: [string, ...(string | number)[]]): Promise<unknown> {
  try {
    return await redis.call(...args);
  } catch {
    return null; // CONFIG disabled or renamed (managed Redis), ACL NOPERM, connection error: unknown, never thrown
  }
}

/**
 * Reads the server's durability with CONFIG GET (may be disabled on managed Redis → null) and INFO
 * persistence/replication, and judges it against `required` (default: `always`). Never throws.
 * On a Redis Cluster, pass a connection to the master that holds the deployment's slot.
 */
export async function inspectDurability(redis: RedisCaller, required: RequiredDurability = DEFAULT_REQUIRED_DURABILITY): Promise<DurabilityInspection> {
  const [cfg, persistence, replication] = await Promise.all([
    tryCall(redis, 'CONFIG', 'GET', 'append*'),
    tryCall(redis, 'INFO', 'persistence'),
    tryCall(redis, 'INFO', 'replication'),
  ]);
  let config: Record<string, string> | null = null;
  if (Array.isArray(cfg)) {
    config = {};
    for (let i = 0; i + 1 < cfg.length; i += 2) config[String(cfg[i])] = String(cfg[i + 1]);
  }
  const text = (v: unknown) => (typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : null);
  return judgeDurability(parseDurabilityFacts({ config, persistence: text(persistence), replication: text(replication) }), required);
}

/**
 * `WAIT replicas timeoutMs` after a claim (REDIS_DURABILITY=replica): resolves with how many replicas
 * acknowledged every write this connection made so far. Fewer than `replicas` means the claim is not
 * known to be on a replica: do not POST. WAIT blocks the connection it runs on until it returns, so
 * it belongs on the connection that wrote the claim and adds a replica round trip to it.
 */
export async function waitForReplicas(redis: RedisCaller, replicas: number, timeoutMs: number): Promise<number> {
  return Number(await redis.call('WAIT', replicas, timeoutMs));
}
