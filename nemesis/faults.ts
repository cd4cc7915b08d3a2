/**
 * The nemesis: a fault schedule drawn from the seed, applied while the workload runs, every step
 * written to the timeline (time, kind, target, params). Faults on the same target never overlap (a
 * later one waits for the earlier one to end); every fault heals itself after its duration.
 */
import { createHash } from 'node:crypto';
import type { CommandClass, DecodedRequest, GatewayFaultKind } from './proxy.js';
import type { Profile, Range } from './profiles.js';
import type { Rng } from './rng.js';
import { STORE, type System, type WorkerSlot } from './system.js';
import type { Knowledge } from './workload.js';

export interface TimelineEntry {
  /** ms since the load started. */
  t: number;
  at: number;
  kind: string;
  target?: string;
  phase: 'begin' | 'end' | 'fired' | 'lapsed' | 'hit' | 'late-forward' | 'skip' | 'info';
  params?: Record<string, unknown>;
}

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  constructor(readonly t0: number) {}
  add(kind: string, phase: TimelineEntry['phase'], target?: string, params?: Record<string, unknown>, at = Date.now()): void {
    this.entries.push({ t: at - this.t0, at, kind, target, phase, params });
  }
  sorted(): TimelineEntry[] {
    return [...this.entries].sort((a, b) => a.at - b.at);
  }
  around(at: number, ms = 10_000): TimelineEntry[] {
    return this.sorted().filter((e) => Math.abs(e.at - at) <= ms);
  }
}

export function formatEntry(e: TimelineEntry): string {
  const params = e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '';
  return `${(e.t / 1000).toFixed(3).padStart(8)}s  ${e.kind.padEnd(20)} ${e.phase.padEnd(12)} ${e.target ?? ''}${params}`;
}

export type FaultKind =
  | 'kill-worker' | 'kill-api' | 'pause-worker' | 'pause-at-claim' | 'partition' | 'partition-at-claim' | 'partition-cut'
  | 'redis-shutdown' | 'redis-kill' | 'clock-skew'
  | 'gw-latency' | 'gw-hang' | 'gw-blackhole' | 'gw-reset' | 'gw-5xx' | 'gw-malformed' | 'gw-late-survive' | 'gw-late-beyond' | 'gw-query-faults'
  | 'terminal-offline' | 'callbacks-dup-delay' | 'callback-replay' | 'callback-forged';

export interface PlannedFault {
  at: number;
  kind: FaultKind;
  target?: string;
  params: Record<string, string | number | boolean>;
}

const WEIGHTS: readonly (readonly [FaultKind, number])[] = [
  ['kill-worker', 8], ['kill-api', 4], ['pause-worker', 6], ['pause-at-claim', 3], ['partition', 5], ['partition-at-claim', 3],
  ['partition-cut', 2], ['redis-shutdown', 3], ['redis-kill', 3], ['clock-skew', 3],
  ['gw-latency', 4], ['gw-hang', 4], ['gw-blackhole', 3], ['gw-reset', 4], ['gw-5xx', 4], ['gw-malformed', 3],
  ['gw-late-survive', 5], ['gw-late-beyond', 4], ['gw-query-faults', 3],
  ['terminal-offline', 6], ['callbacks-dup-delay', 3], ['callback-replay', 4], ['callback-forged', 2],
];

const inRange = (rng: Rng, r: Range) => rng.int(r[0], r[1]);

/** Which lock a fault holds while it runs (faults on one lock never overlap). */
export function lockOf(f: PlannedFault): string | null {
  switch (f.kind) {
    case 'kill-worker': case 'pause-worker': case 'clock-skew':
      return f.target ?? null;
    case 'pause-at-claim': case 'partition': case 'partition-at-claim': case 'partition-cut':
      return 'w1';
    case 'kill-api':
      return 'api';
    case 'redis-shutdown': case 'redis-kill':
      return 'redis';
    default:
      return null;
  }
}

function params(rng: Rng, kind: FaultKind, p: Profile, devices: string[], workers: number, sub?: string): { target?: string; params: PlannedFault['params'] } {
  const cmdFor = (weights: readonly (readonly [CommandClass, number])[]) => (sub as CommandClass | undefined) ?? rng.weighted(weights);
  const anyWorker = () => `w${rng.int(1, workers)}`;
  const claimKind = () => sub ?? (rng.chance(0.5) ? 'refund' : 'charge');
  switch (kind) {
    case 'kill-worker':
      return { target: anyWorker(), params: { downMs: inRange(rng, p.down.worker) } };
    case 'kill-api':
      return { target: 'api', params: { downMs: inRange(rng, p.down.api) } };
    case 'pause-worker':
      return { target: anyWorker(), params: { ms: inRange(rng, p.pause.random) } };
    case 'pause-at-claim':
      return { target: 'w1', params: { claim: claimKind(), ms: inRange(rng, p.pause.atClaim) } };
    case 'partition':
      return { target: 'w1', params: { ms: inRange(rng, p.partition.random) } };
    case 'partition-at-claim':
      return { target: 'w1', params: { claim: claimKind(), ms: inRange(rng, p.partition.atClaim) } };
    case 'partition-cut':
      return { target: 'w1', params: { ms: inRange(rng, p.partition.random) } };
    case 'redis-shutdown': case 'redis-kill':
      return { target: 'redis', params: { downMs: inRange(rng, p.down.redis) } };
    case 'clock-skew': {
      const target = `w${rng.int(Math.min(2, workers), workers)}`;
      const magnitude = rng.int(Math.round(p.clockSkewMs / 4), p.clockSkewMs);
      return { target, params: { offsetMs: rng.chance(0.5) ? magnitude : -magnitude } };
    }
    case 'gw-latency':
      return { target: 'gateway', params: { cmd: cmdFor([['charge', 2], ['refund', 2], ['query', 3], ['reprint', 1]]), ms: rng.int(100, 700), count: rng.int(1, 3) } };
    case 'gw-hang': case 'gw-blackhole': case 'gw-malformed':
      return { target: 'gateway', params: { cmd: cmdFor([['charge', 3], ['refund', 3], ['query', 2], ['reprint', 1]]), count: 1 } };
    case 'gw-reset': case 'gw-5xx':
      return { target: 'gateway', params: { cmd: cmdFor([['charge', 3], ['refund', 3], ['query', 2], ['reprint', 1]]), when: rng.chance(0.5) ? 'before' : 'after', count: 1 } };
    case 'gw-late-survive':
      return { target: 'gateway', params: { cmd: cmdFor([['charge', 1], ['refund', 1]]), ms: inRange(rng, p.late.survive), count: 1 } };
    case 'gw-late-beyond':
      return { target: 'gateway', params: { cmd: cmdFor([['charge', 1], ['refund', 1]]), ms: inRange(rng, p.late.beyond), count: 1 } };
    case 'gw-query-faults':
      return { target: 'gateway', params: { cmd: 'query', kindOf: rng.pick(['http5xx', 'reset', 'malformed', 'hang']), count: rng.int(2, 6) } };
    case 'terminal-offline': {
      const long = rng.chance(0.2);
      return { target: rng.pick(devices), params: { forMs: inRange(rng, long ? p.offline.long : p.offline.short) } };
    }
    case 'callbacks-dup-delay':
      return { target: 'simulator', params: { ms: rng.int(3_000, 8_000), delayMs: rng.int(500, 5_000), duplicates: rng.int(1, 3) } };
    case 'callback-replay':
      return { target: 'api', params: { count: rng.int(1, 4), copies: rng.int(1, 3), delayMs: rng.int(0, 3_000), pickSeed: rng.int(0, 1_000_000) } };
    case 'callback-forged':
      return { target: 'api', params: { prc: rng.pick(['250', '300', '230']), pickSeed: rng.int(0, 1_000_000) } };
  }
}

export interface Schedule {
  faults: PlannedFault[];
  clockOffsets: number[];
  simServiceMs: number;
  fingerprint: string;
}

export function planFaults(rng: Rng, p: Profile, loadMs: number, devices: string[]): Schedule {
  const faults: PlannedFault[] = [];
  const start = 2_000;
  const end = Math.max(start + 1_000, loadMs - 3_000);
  // Mandatory ones, spread over the load (refund ones after refunds have started to flow).
  p.mandatory.forEach((spec, i) => {
    const [kind, sub] = spec.split(':') as [FaultKind, string | undefined];
    const refundish = sub === 'refund';
    const lo = refundish ? Math.min(end - 500, 8_000) : start;
    const slot = lo + ((end - lo) * (i + 0.5)) / p.mandatory.length;
    const at = Math.round(Math.min(end, Math.max(lo, slot + (rng.next() - 0.5) * 2_000)));
    const planned = params(rng, kind, p, devices, p.workers, sub);
    faults.push({ at, kind, target: planned.target, params: { ...planned.params, mandatory: true } });
  });
  const n = Math.round((loadMs / 60_000) * p.faultsPerMinute);
  for (let i = 0; i < n; i++) {
    const kind = rng.weighted(WEIGHTS);
    faults.push({ at: rng.int(start, end), kind, ...params(rng, kind, p, devices, p.workers) });
  }
  faults.sort((a, b) => a.at - b.at);
  const clockOffsets = Array.from({ length: p.workers }, (_, i) => {
    if (i < p.workers - 1) return 0; // the last worker runs on a host whose clock is off
    const m = rng.int(Math.round(p.clockSkewMs / 4), p.clockSkewMs);
    return rng.chance(0.5) ? m : -m;
  });
  const simServiceMs = inRange(rng, p.sim.serviceMs);
  const fingerprint = createHash('sha256').update(JSON.stringify({ faults, clockOffsets, simServiceMs })).digest('hex').slice(0, 16);
  return { faults, clockOffsets, simServiceMs, fingerprint };
}

// ─── Applying it ────────────────────────────────────────────────────────────────────────────────

export interface NemesisRun {
  /** Resolves when every fault started has ended (healed). */
  done: Promise<void>;
  applied: Record<string, number>;
  skipped: Record<string, number>;
  /** Operation ids a targeted fault fired on (pause/partition at a claim). */
  firedOn: Map<string, string>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function runNemesis(sys: System, schedule: Schedule, timeline: Timeline, o: { startedAt: number; loadMs: number; rng: Rng; knowledge: Knowledge }): NemesisRun {
  /** Refunds a second copy of which would still fit the balance: the ones a lost-or-late copy can double. */
  const partialRefund = (d: DecodedRequest) => {
    const charge = o.knowledge.chargeCostByUid.get(String(d.data.uid));
    return charge !== undefined && Number(d.data.cost) * 2 <= charge;
  };
  const applied: Record<string, number> = {};
  const skipped: Record<string, number> = {};
  const firedOn = new Map<string, string>();
  const locks = new Map<string, Promise<void>>();
  const busy = new Set<string>();
  const bump = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
  const deadline = o.startedAt + o.loadMs;
  const slot = (name: string): WorkerSlot => sys.workers.find((w) => w.name === name) ?? sys.workers[0]!;

  /**
   * Runs `fn` holding the target's lock. A mandatory fault waits for the lock; a random one finding
   * its target busy is skipped (so random faults never starve the mandatory ones).
   */
  async function withLock(name: string | null, wait: boolean, fn: () => Promise<void>): Promise<boolean> {
    if (!name) {
      await fn();
      return true;
    }
    if (!wait && busy.has(name)) return false;
    busy.add(name);
    const prev = locks.get(name) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = prev.then(() => mine);
    locks.set(name, chained);
    await prev;
    try {
      if (Date.now() > deadline) return false;
      await fn();
      return true;
    } finally {
      release();
      if (locks.get(name) === chained) busy.delete(name);
    }
  }

  async function apply(f: PlannedFault): Promise<void> {
    const P = f.params;
    const num = (k: string) => Number(P[k]);
    const begin = (extra: Record<string, unknown> = {}) => timeline.add(f.kind, 'begin', f.target, { ...P, ...extra });
    const end = (extra: Record<string, unknown> = {}) => timeline.add(f.kind, 'end', f.target, extra);
    const arm = (kind: GatewayFaultKind, extra: { ms?: number; when?: 'before' | 'after'; match?: (d: DecodedRequest) => boolean } = {}) =>
      sys.gateway.arm({ kind, cmd: P.cmd as CommandClass, count: num('count') || 1, label: f.kind, ttlMs: 20_000, ...extra });
    switch (f.kind) {
      case 'kill-worker': {
        const w = slot(f.target!);
        begin({ pid: w.proc.pid });
        await w.proc.kill9();
        await sleep(num('downMs'));
        await sys.restartWorker(w);
        end({ pid: w.proc.pid });
        return;
      }
      case 'kill-api':
        begin({ pid: sys.api().pid });
        await sys.api().kill9();
        await sleep(num('downMs'));
        await sys.restartApi();
        end({ pid: sys.api().pid });
        return;
      case 'pause-worker': {
        const w = slot(f.target!);
        begin({ pid: w.proc.pid });
        w.paused = true;
        w.proc.signal('SIGSTOP');
        await sleep(num('ms'));
        w.proc.signal('SIGCONT');
        w.paused = false;
        end();
        return;
      }
      case 'pause-at-claim': case 'partition-at-claim': {
        const w = slot('w1');
        const pause = f.kind === 'pause-at-claim';
        let fired: (id: string) => void = () => undefined;
        const firedP = new Promise<string>((r) => (fired = r));
        begin({ armed: true });
        sys.link.armClaim({
          kind: P.claim as 'charge' | 'refund',
          action: pause ? 'pause' : 'partition',
          accept: P.claim === 'refund' ? (id) => o.knowledge.partialRefundOps.has(id) : undefined,
          onFire: (opId) => {
            if (pause) {
              w.paused = true;
              w.proc.signal('SIGSTOP');
            }
            fired(opId);
          },
        });
        const opId = await Promise.race([firedP, sleep(Math.max(1_000, deadline - Date.now())).then(() => null)]);
        if (!opId) {
          sys.link.disarmClaim();
          timeline.add(f.kind, 'lapsed', f.target, { reason: 'no claim of that kind before the load ended' });
          bump(skipped, f.kind);
          return;
        }
        firedOn.set(opId, f.kind);
        timeline.add(f.kind, 'fired', f.target, { opId, pid: w.proc.pid });
        await sleep(num('ms'));
        if (pause) {
          w.proc.signal('SIGCONT');
          w.paused = false;
        } else sys.link.restore();
        end({ opId });
        return;
      }
      case 'partition':
        begin();
        sys.link.stall();
        await sleep(num('ms'));
        sys.link.restore();
        end();
        return;
      case 'partition-cut':
        begin();
        sys.link.cut();
        await sleep(num('ms'));
        sys.link.restore();
        end();
        return;
      case 'redis-shutdown': case 'redis-kill':
        begin();
        await sys.redisDown(f.kind === 'redis-shutdown' ? 'shutdown' : 'kill');
        await sleep(num('downMs'));
        await sys.redisUp();
        end();
        return;
      case 'clock-skew': {
        const w = slot(f.target!);
        begin({ from: w.clockOffsetMs });
        await sys.restartWorker(w, num('offsetMs'));
        end({ pid: w.proc.pid, offsetMs: w.clockOffsetMs });
        return;
      }
      case 'gw-latency':
        begin({ rule: arm('latency', { ms: num('ms') }).id });
        return;
      case 'gw-hang':
        begin({ rule: arm('hang').id });
        return;
      case 'gw-blackhole':
        begin({ rule: arm('blackhole').id });
        return;
      case 'gw-malformed':
        begin({ rule: arm('malformed').id });
        return;
      case 'gw-reset':
        begin({ rule: arm('reset', { when: P.when as 'before' | 'after' }).id });
        return;
      case 'gw-5xx':
        begin({ rule: arm('http5xx', { when: P.when as 'before' | 'after' }).id });
        return;
      case 'gw-late-survive':
        begin({ rule: arm('late', { ms: num('ms') }).id });
        return;
      case 'gw-late-beyond':
        // A late copy of a partial refund is the one that can refund twice: aim at those.
        begin({ rule: arm('late', { ms: num('ms'), match: P.cmd === 'refund' ? partialRefund : undefined }).id });
        return;
      case 'gw-query-faults':
        begin({ rule: arm(P.kindOf as GatewayFaultKind, { when: 'after' }).id });
        return;
      case 'terminal-offline': {
        const r = await sys.sim('POST', '/_sim/devices', { store_uid: STORE, offline: [f.target!], forMs: num('forMs') }).catch(() => null);
        begin({ status: r?.status ?? 'error' });
        return;
      }
      case 'callbacks-dup-delay': {
        const url = sys.callbacks.url;
        const r = await sys.sim('POST', '/_sim/callbacks', { url, delayMs: num('delayMs'), duplicates: num('duplicates') }).catch(() => null);
        begin({ status: r?.status ?? 'error' });
        await sleep(num('ms'));
        await sys.sim('POST', '/_sim/callbacks', { url }).catch(() => null);
        end();
        return;
      }
      case 'callback-replay': {
        const got = sys.callbacks.received;
        if (got.length === 0) {
          timeline.add(f.kind, 'skip', f.target, { reason: 'no callback received yet' });
          bump(skipped, f.kind);
          return;
        }
        const pickRng = o.rng.fork(`replay-${P.pickSeed}`);
        const bodies = Array.from({ length: num('count') }, () => got[Math.floor(pickRng.next() * got.length)]!.body);
        begin({ orders: bodies.map((b) => new URLSearchParams(b).get('order_id')) });
        await sleep(num('delayMs'));
        for (const body of bodies) {
          for (let k = 0; k < num('copies'); k++) {
            await fetch(`${sys.apiUrl}/v1/callbacks/mypay?store_uid=${STORE}`, {
              method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, signal: AbortSignal.timeout(5_000),
            }).then((r) => r.arrayBuffer(), () => undefined);
          }
        }
        end();
        return;
      }
      case 'callback-forged': {
        const got = sys.callbacks.received;
        const pickRng = o.rng.fork(`forged-${P.pickSeed}`);
        const source = got.length ? new URLSearchParams(got[Math.floor(pickRng.next() * got.length)]!.body) : new URLSearchParams({ order_id: 'nemesis-unknown' });
        source.set('prc', String(P.prc));
        source.set('retmsg', 'forged by the nemesis');
        const r = await fetch(`${sys.apiUrl}/v1/callbacks/mypay?store_uid=${STORE}`, {
          method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: source.toString(), signal: AbortSignal.timeout(5_000),
        }).then((x) => x.status, () => 'error');
        begin({ order: source.get('order_id'), status: r });
        return;
      }
    }
  }

  const runs: Promise<void>[] = [];
  for (const f of schedule.faults) {
    runs.push((async () => {
      await sleep(Math.max(0, o.startedAt + f.at - Date.now()));
      try {
        const ran = await withLock(lockOf(f), f.params.mandatory === true, () => apply(f));
        if (ran) bump(applied, f.kind);
        else {
          bump(skipped, f.kind);
          timeline.add(f.kind, 'skip', f.target, { reason: f.params.mandatory ? 'its target was busy until the load ended' : 'its target was busy' });
        }
      } catch (err) {
        bump(skipped, f.kind);
        timeline.add(f.kind, 'skip', f.target, { error: (err as Error).message.split('\n')[0] });
      }
    })());
  }
  return { done: Promise.all(runs).then(() => undefined), applied, skipped, firedOn };
}
