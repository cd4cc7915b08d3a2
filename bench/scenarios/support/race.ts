/**
 * Runs each dispatcher on the same plan, one after the other, each on a fresh Redis and a fresh
 * simulator process (so busy violations and Redis work are its own), and collects what the
 * scenarios report.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type Dispatcher, type DispatchRun, type PlannedOp, fifoOvertakes, handoffSummary, phases } from './dispatch.js';
import { round } from './measure.js';
import { benchGateway } from './orchestrator.js';
import { diffCounts, startBenchRedis, total } from './redis.js';
import { startSimProcess } from './sim-process.js';

export interface RaceEntry {
  run: DispatchRun;
  busyViolations: number;
  /** Charges the simulator accepted more than once for one order_id (must be 0). */
  doubleCharges: number;
  fifoOvertakes: number;
  handoff: ReturnType<typeof handoffSummary>;
  redisCommandsPerOp: number;
  /** The run was stopped by its time budget (or had failures) before every operation was final. */
  timedOut: boolean;
  /** This process's event-loop delay during the run: how saturated the dispatcher's process was. */
  eventLoopDelayMs: { p50: number | null; p99: number | null };
}

export async function race(
  dispatchers: readonly Dispatcher[],
  ops: readonly PlannedOp[],
  o: { devices: number; serviceMs: number; pollMs: number; perDispatcherMs: number; log(m: string): void; redisArgs?: string[] },
): Promise<RaceEntry[]> {
  const out: RaceEntry[] = [];
  for (const d of dispatchers) {
    const redis = await startBenchRedis(o.redisArgs);
    const sim = await startSimProcess({ devices: o.devices, serviceMs: o.serviceMs });
    const gateway = benchGateway(sim.url);
    try {
      const before = await redis.commandStats();
      const deadline = Date.now() + o.perDispatcherMs;
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      o.log(`${d.name}: ${ops.length} operations`);
      const run = await d.run(ops, { redisUrl: redis.url, simUrl: sim.url, pollMs: o.pollMs, serviceMs: o.serviceMs, deadline, log: o.log }, gateway);
      loop.disable();
      const cmds = diffCounts(await redis.commandStats(), before);
      const stats = await sim.stats();
      const doubleCharges = Object.values(stats.chargePosts).filter((n) => n > 1).length;
      const entry: RaceEntry = {
        run,
        busyViolations: stats.busyViolations,
        doubleCharges,
        fifoOvertakes: fifoOvertakes(ops, run.times),
        handoff: handoffSummary(ops, run),
        redisCommandsPerOp: round(total(cmds) / Math.max(1, run.completed), 1) ?? 0,
        timedOut: run.makespanMs === null,
        eventLoopDelayMs: { p50: round(loop.percentile(50) / 1e6, 1), p99: round(loop.percentile(99) / 1e6, 1) },
      };
      const ph = phases(run);
      o.log(`${d.name}: ${run.completed}/${ops.length} in ${run.elapsedMs} ms, makespan ${run.makespanMs ?? '—'} ms, hand-off p50 ${entry.handoff.p50} p99 ${entry.handoff.p99} ms, POST→B200 p50 ${ph.postToAcceptedMs.p50} ms, B200→final p50 ${ph.acceptedToFinalMs.p50} p99 ${ph.acceptedToFinalMs.p99} ms, ${ph.pollsPerOp} polls/op, violations ${entry.busyViolations}, overtakes ${entry.fifoOvertakes}`);
      out.push(entry);
    } finally {
      await gateway.close();
      await sim.stop();
      await redis.stop();
    }
  }
  return out;
}

/** The JSON-friendly part of a race entry (no per-op map). */
export function describeEntry(e: RaceEntry) {
  const { times: _times, ...run } = e.run;
  return { ...run, busyViolations: e.busyViolations, doubleCharges: e.doubleCharges, fifoOvertakes: e.fifoOvertakes, handoffMs: e.handoff, phases: phases(e.run), eventLoopDelayMs: e.eventLoopDelayMs, redisCommandsPerOp: e.redisCommandsPerOp };
}
