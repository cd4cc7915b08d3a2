/**
 * src/store/durability.ts: the pure judgement (what REDIS_DURABILITY requires vs what the server
 * offers) by tables, then inspectDurability against real redis-servers — AOF + appendfsync always,
 * no persistence, and the latter with a replica — and against a server whose CONFIG is disabled.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedis } from '../../src/redis/local-server.js';
import {
  durabilityBelow,
  durabilityLevel,
  inspectDurability,
  parseDurabilityFacts,
  parseRequiredDurability,
  waitForReplicas,
  type DurabilityFacts,
  type DurabilityLevel,
  type RedisCaller,
  type RequiredDurability,
} from '../../src/store/durability.js';

const facts = (appendonly: boolean | null, appendfsync: string | null, connectedReplicas: number | null): DurabilityFacts => ({ appendonly, appendfsync, connectedReplicas });
const ALWAYS: RequiredDurability = { mode: 'always', replicas: 1 };
const EVERYSEC: RequiredDurability = { mode: 'everysec', replicas: 1 };
const NONE: RequiredDurability = { mode: 'none', replicas: 1 };
const REPLICA1: RequiredDurability = { mode: 'replica', replicas: 1 };
const REPLICA2: RequiredDurability = { mode: 'replica', replicas: 2 };

describe('durabilityBelow (table)', () => {
  // [required, facts, null = meets | a fragment of the reason]
  const table: [string, RequiredDurability, DurabilityFacts, string | null][] = [
    ['always: AOF + always', ALWAYS, facts(true, 'always', 0), null],
    ['always: AOF + everysec', ALWAYS, facts(true, 'everysec', 0), 'appendfsync is everysec'],
    ['always: AOF + no', ALWAYS, facts(true, 'no', 0), 'appendfsync is no'],
    ['always: AOF off', ALWAYS, facts(false, 'everysec', 0), 'AOF is off'],
    ['always: replicas do not replace the local fsync', ALWAYS, facts(true, 'everysec', 3), 'appendfsync is everysec'],
    ['always: CONFIG disabled, AOF on per INFO', ALWAYS, facts(true, null, 0), 'cannot verify'],
    ['always: nothing readable', ALWAYS, facts(null, null, null), 'cannot verify'],
    ['everysec: AOF + everysec', EVERYSEC, facts(true, 'everysec', 0), null],
    ['everysec: AOF + always is stronger', EVERYSEC, facts(true, 'always', 0), null],
    ['everysec: AOF + no', EVERYSEC, facts(true, 'no', 0), 'appendfsync is no'],
    ['everysec: AOF off', EVERYSEC, facts(false, 'everysec', 0), 'AOF is off'],
    ['everysec: CONFIG disabled', EVERYSEC, facts(true, null, 0), 'cannot verify'],
    ['replica:1 with 1', REPLICA1, facts(false, 'everysec', 1), null],
    ['replica:1 with 0', REPLICA1, facts(true, 'always', 0), 'the server has 0'],
    ['replica:2 with 1', REPLICA2, facts(true, 'everysec', 1), 'needs 2 online replicas'],
    ['replica:2 with 3', REPLICA2, facts(true, 'everysec', 3), null],
    ['replica: INFO replication unreadable', REPLICA1, facts(true, 'everysec', null), 'cannot verify'],
    ['none: nothing at all', NONE, facts(false, 'everysec', 0), null],
    ['none: unknown', NONE, facts(null, null, null), null],
  ];
  it.each(table)('%s', (_name, required, f, expected) => {
    const reason = durabilityBelow(required, f);
    if (expected === null) expect(reason).toBeNull();
    else {
      expect(reason).toContain(expected);
      expect(reason).toContain(`REDIS_DURABILITY=${required.mode}`);
      expect(reason).not.toContain('\n');
    }
  });
});

describe('durabilityLevel (table)', () => {
  const table: [DurabilityFacts, DurabilityLevel][] = [
    [facts(true, 'always', 0), 'fsync_always'],
    [facts(true, 'always', 2), 'fsync_always'],
    [facts(true, 'everysec', 1), 'replica_wait'],
    [facts(false, 'everysec', 1), 'replica_wait'],
    [facts(true, 'everysec', 0), 'everysec'],
    [facts(true, 'no', 0), 'none'],
    [facts(false, 'everysec', 0), 'none'],
    [facts(false, 'everysec', null), 'unknown'], // a replica cannot be ruled out
    [facts(true, null, 0), 'unknown'],
    [facts(null, null, null), 'unknown'],
  ];
  it.each(table)('%o → %s', (f, level) => expect(durabilityLevel(f)).toBe(level));
});

describe('parseRequiredDurability', () => {
  it('defaults to always', () => {
    expect(parseRequiredDurability(undefined)).toEqual({ mode: 'always', replicas: 1 });
    expect(parseRequiredDurability('')).toEqual({ mode: 'always', replicas: 1 });
  });
  it('reads every mode, and a replica count from the value or the argument', () => {
    expect(parseRequiredDurability('everysec')).toEqual({ mode: 'everysec', replicas: 1 });
    expect(parseRequiredDurability('NONE')).toEqual({ mode: 'none', replicas: 1 });
    expect(parseRequiredDurability('replica')).toEqual({ mode: 'replica', replicas: 1 });
    expect(parseRequiredDurability('replica', 2)).toEqual({ mode: 'replica', replicas: 2 });
    expect(parseRequiredDurability('replica:3')).toEqual({ mode: 'replica', replicas: 3 });
  });
  it('refuses anything else', () => {
    expect(() => parseRequiredDurability('fsync')).toThrow(/always, replica, everysec, none/);
    expect(() => parseRequiredDurability('always:2')).toThrow(/only replica/);
    expect(() => parseRequiredDurability('replica:0')).toThrow(/≥ 1/);
    expect(() => parseRequiredDurability('replica', 0)).toThrow(/≥ 1/);
  });
});

describe('parseDurabilityFacts', () => {
  it('counts only online replicas, and takes appendonly from INFO when CONFIG is unavailable', () => {
    const replication = 'role:master\r\nconnected_slaves:2\r\nslave0:ip=10.0.0.2,port=6379,state=online,offset=10,lag=0\r\nslave1:ip=10.0.0.3,port=6379,state=wait_bgsave,offset=0,lag=0\r\n';
    expect(parseDurabilityFacts({ config: null, persistence: 'loading:0\r\naof_enabled:1\r\n', replication })).toEqual(facts(true, null, 1));
    expect(parseDurabilityFacts({ config: { appendonly: 'no', appendfsync: 'always' }, persistence: 'aof_enabled:1\r\n', replication: 'role:master\r\nconnected_slaves:0\r\n' })).toEqual(facts(false, 'always', 0));
    expect(parseDurabilityFacts({ config: null, persistence: null, replication: null })).toEqual(facts(null, null, null));
  });
});

describe('inspectDurability against real redis-servers', () => {
  let always: LocalRedis;
  let bare: LocalRedis;
  let replica: LocalRedis | undefined;
  const clients: Redis[] = [];
  const client = (url: string) => {
    const c = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    [always, bare] = await Promise.all([
      startLocalRedis({ appendOnly: true, extraArgs: ['--appendfsync', 'always'] }),
      startLocalRedis({ appendOnly: false }),
    ]);
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all([always?.stop(), bare?.stop(), replica?.stop()]);
  });

  it('appendonly yes + appendfsync always: fsync_always, meets the default requirement', async () => {
    const r = await inspectDurability(client(always.url));
    expect(r).toMatchObject({ appendonly: true, appendfsync: 'always', connectedReplicas: 0, level: 'fsync_always', ok: true });
    expect(r.detail).toContain('appendfsync always');
  });

  it('no persistence: level none, below the default, fine for REDIS_DURABILITY=none', async () => {
    const redis = client(bare.url);
    const r = await inspectDurability(redis);
    expect(r).toMatchObject({ appendonly: false, connectedReplicas: 0, level: 'none', ok: false });
    expect(r.detail).toContain('AOF is off');
    expect((await inspectDurability(redis, NONE)).ok).toBe(true);
  });

  it('a replica attached: replica_wait, meets replica:1, WAIT answers 1', async () => {
    const redis = client(bare.url);
    await redis.config('SET', 'repl-diskless-sync-delay', '0'); // the first sync at once, not after 5 s
    replica = await startLocalRedis({ extraArgs: ['--replicaof', '127.0.0.1', String(bare.port)] });
    const deadline = Date.now() + 15_000;
    let r = await inspectDurability(redis, REPLICA1);
    while (r.connectedReplicas !== 1 && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50));
      r = await inspectDurability(redis, REPLICA1);
    }
    expect(r).toMatchObject({ appendonly: false, connectedReplicas: 1, level: 'replica_wait', ok: true });
    expect((await inspectDurability(redis, REPLICA2)).ok).toBe(false);
    await redis.set('claim', 'sending');
    expect(await waitForReplicas(redis, 1, 5_000)).toBe(1);
  });

  it('CONFIG disabled (managed Redis) or nothing answering: unknown, never throws', async () => {
    const real = client(always.url);
    const noConfig: RedisCaller = {
      call: (command, ...args) => (command.toUpperCase() === 'CONFIG' ? Promise.reject(new Error("ERR unknown command 'CONFIG'")) : real.call(command, ...args)),
    };
    const r = await inspectDurability(noConfig);
    expect(r).toMatchObject({ appendonly: true, appendfsync: null, connectedReplicas: 0, level: 'unknown', ok: false });
    expect(r.detail).toContain('cannot verify');
    const dead: RedisCaller = { call: () => Promise.reject(new Error('connection closed')) };
    await expect(inspectDurability(dead)).resolves.toMatchObject({ appendonly: null, appendfsync: null, connectedReplicas: null, level: 'unknown', ok: false });
  });
});
