/**
 * One contract for the three dispatchers that scenarios 2 and 3 race — ours and the two peers in
 * bench/peers — so each is given the same plan (operations, arrival order), the same simulator
 * settings, poll interval and HTTP client, and is measured the same way: the clock starts when the
 * paused queue(s) are resumed with every operation already enqueued, and stops at the last final.
 */
import type { GatewayClient } from '../../../src/gateway/index.js';
import { summarize } from './measure.js';

export interface PlannedOp {
  orderId: string;
  device: string;
  /** Arrival position on its terminal (0 = first enqueued). */
  seq: number;
}

export interface DispatchEnv {
  redisUrl: string;
  simUrl: string;
  /** querydirect interval after the POST (ours: the status worker's dense interval). */
  pollMs: number;
  /** Terminal service time the simulator uses (the lock peer's retry delay defaults to it). */
  serviceMs: number;
  /** Stop waiting at this ms epoch. */
  deadline: number;
  log(message: string): void;
}

/** What happened to one operation, in ms epoch (ours: from the record; peers: from the processor). */
export interface OpTimes {
  postAt?: number;
  /** The POST's B200 recorded. */
  acceptedAt?: number;
  finalAt?: number;
  state?: string;
  /** querydirect calls made for it. */
  polls?: number;
}

export interface DispatchRun {
  name: string;
  completed: number;
  /** From resume to the last final state (ms); `null` when not all completed before the deadline. */
  makespanMs: number | null;
  /** Elapsed when the run stopped (all done or deadline). */
  elapsedMs: number;
  times: Map<string, OpTimes>;
  /** Processor runs per operation (a polling loop shows as many). */
  jobRunsPerOp: number;
  errors: number;
  extra?: Record<string, unknown>;
}

export interface Dispatcher {
  name: string;
  run(ops: readonly PlannedOp[], env: DispatchEnv, gateway: GatewayClient): Promise<DispatchRun>;
}

/** Hand-off gaps: a terminal's previous operation final → its next operation's POST. */
export function handoffGaps(ops: readonly PlannedOp[], times: Map<string, OpTimes>): number[] {
  const byDevice = new Map<string, { postAt: number; finalAt?: number }[]>();
  for (const op of ops) {
    const t = times.get(op.orderId);
    if (t?.postAt === undefined) continue;
    let list = byDevice.get(op.device);
    if (!list) byDevice.set(op.device, (list = []));
    list.push({ postAt: t.postAt, finalAt: t.finalAt });
  }
  const gaps: number[] = [];
  for (const list of byDevice.values()) {
    list.sort((a, b) => a.postAt - b.postAt);
    for (let i = 1; i < list.length; i++) {
      const prevFinal = list[i - 1]!.finalAt;
      if (prevFinal !== undefined) gaps.push(list[i]!.postAt - prevFinal);
    }
  }
  return gaps;
}

/** Operations POSTed before an operation enqueued earlier on the same terminal (FIFO broken). */
export function fifoOvertakes(ops: readonly PlannedOp[], times: Map<string, OpTimes>): number {
  const byDevice = new Map<string, { seq: number; postAt: number }[]>();
  for (const op of ops) {
    const postAt = times.get(op.orderId)?.postAt;
    if (postAt === undefined) continue;
    let list = byDevice.get(op.device);
    if (!list) byDevice.set(op.device, (list = []));
    list.push({ seq: op.seq, postAt });
  }
  let overtakes = 0;
  for (const list of byDevice.values()) {
    list.sort((a, b) => a.postAt - b.postAt || a.seq - b.seq);
    let maxSeq = -1;
    for (const e of list) {
      if (e.seq < maxSeq) overtakes++;
      maxSeq = Math.max(maxSeq, e.seq);
    }
  }
  return overtakes;
}

export function handoffSummary(ops: readonly PlannedOp[], run: DispatchRun) {
  return summarize(handoffGaps(ops, run.times));
}

/** Where an operation's time goes: POST → B200 recorded, B200 → final recorded, and polls per op. */
export function phases(run: DispatchRun) {
  const post: number[] = [];
  const followUp: number[] = [];
  let polls = 0;
  let n = 0;
  for (const t of run.times.values()) {
    if (t.postAt !== undefined && t.acceptedAt !== undefined) post.push(t.acceptedAt - t.postAt);
    if (t.acceptedAt !== undefined && t.finalAt !== undefined) followUp.push(t.finalAt - t.acceptedAt);
    if (t.polls !== undefined) {
      polls += t.polls;
      n++;
    }
  }
  const brief = (v: number[]) => {
    const s = summarize(v);
    return { p50: s.p50, p99: s.p99, mean: s.mean === null ? null : Number(s.mean.toFixed(1)) };
  };
  return { postToAcceptedMs: brief(post), acceptedToFinalMs: brief(followUp), pollsPerOp: n ? Number((polls / n).toFixed(2)) : null };
}
