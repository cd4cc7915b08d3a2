/**
 * Measures what the orchestrator costs Redis, on a private redis-server and the in-process simulator
 * (zero service time), for docs/OPERATIONS.md › Redis sizing:
 * - memory per finished charge (record, audit streams, uid index, retained BullMQ jobs),
 * - memory per waiting operation (record, mailbox entry, parked device job),
 * - Redis commands (INFO commandstats) and Redis main-thread CPU time (INFO cpu) per charge
 *   lifecycle, which bounds what one hash slot — one Redis core — can carry.
 *
 *   npx tsx scripts/redis-footprint.ts [charges=2000] [waiting=5000]
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { TEST_MERCHANT } from '../src/config/config.js';
import { createGatewayClient } from '../src/gateway/index.js';
import { createProducer } from '../src/producers/index.js';
import { REDIS_OPTIONS, createCore, type Core } from '../src/queues/core.js';
import { startLocalRedis } from '../src/redis/local-server.js';
import { createSimulator, type Simulator } from '../src/simulator/index.js';
import { startWorkers } from '../src/workers/index.js';

const CHARGES = Number(process.argv[2] ?? 2_000);
const WAITING = Number(process.argv[3] ?? 5_000);
const TERMINALS = 100;

const info = async (r: Redis, section: string) => Object.fromEntries(
  (await r.info(section)).split('\r\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
);
const usedMemory = async (r: Redis) => Number((await info(r, 'memory')).used_memory);
/** CPU seconds of Redis's main thread (where every command and script runs). */
const mainThreadCpu = async (r: Redis) => {
  const cpu = await info(r, 'cpu');
  return Number(cpu.used_cpu_user_main_thread) + Number(cpu.used_cpu_sys_main_thread);
};
/** Total calls and µs over all commands (scripts count with the commands they run inside). */
async function commandTotals(r: Redis): Promise<{ calls: number; usec: number; byCommand: Record<string, number> }> {
  const stats = await info(r, 'commandstats');
  let calls = 0;
  let usec = 0;
  const byCommand: Record<string, number> = {};
  for (const [k, v] of Object.entries(stats)) {
    const m = /calls=(\d+),usec=(\d+)/.exec(v);
    if (!m) continue;
    const name = k.replace('cmdstat_', '');
    byCommand[name] = Number(m[1]);
    if (name === 'info') continue;
    // EVALSHA's own usec includes the commands its script ran; count the script, not its insides twice.
    calls += Number(m[1]);
    if (!['evalsha', 'eval', 'evalsha_ro', 'eval_ro'].includes(name)) usec += Number(m[2]);
  }
  return { calls, usec, byCommand };
}
const devices = Array.from({ length: TERMINALS }, (_, i) => `A${String(i + 1).padStart(3, '0')}`);
const charge = (orderId: string, device: string) => ({ store_uid: TEST_MERCHANT.storeUid, device_name: device, order_id: orderId, cost: 100, pfn: 'CREDITCARD' });
async function waitPaid(core: Core, ids: string[]): Promise<void> {
  for (;;) {
    const ops = await core.store.getMany(ids);
    if (ops.every((o) => o?.state === 'paid')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Run {
  seconds: number;
  cpuSeconds: number;
  calls: number;
  usec: number;
  byCommand: Record<string, number>;
  polls: number;
  ids: string[];
}

/** Runs `n` charges to `paid` through in-process workers; Redis CPU and commands spent meanwhile. */
async function runCharges(admin: Redis, core: Core, sim: Simulator, n: number, label: string): Promise<Run> {
  const producer = createProducer(core);
  const gateway = createGatewayClient({ url: sim.url, allowedHosts: ['127.0.0.1'] });
  await admin.config('RESETSTAT');
  const cpu0 = await mainThreadCpu(admin);
  const workers = startWorkers({ core, gateway, logger: pino({ level: 'silent' }), merchantKey: () => TEST_MERCHANT.key }, { concurrency: 50 });
  const ids: string[] = [];
  const t0 = Date.now();
  for (let i = 0; i < n; i++) ids.push((await producer.enqueueCharge(charge(`${label}-${i}`, devices[i % TERMINALS]!))).operation.id);
  await waitPaid(core, ids);
  const seconds = (Date.now() - t0) / 1000;
  await workers.close();
  await gateway.close();
  const cmds = await commandTotals(admin);
  const cpuSeconds = (await mainThreadCpu(admin)) - cpu0;
  const polls = (await core.store.getMany(ids)).reduce((sum, op) => sum + (op?.polls ?? 0), 0);
  return { seconds, cpuSeconds, ...cmds, polls, ids };
}

async function main(): Promise<void> {
  const server = await startLocalRedis();
  const sim = await createSimulator({ devices: TERMINALS, serviceMs: 0, journalSize: 1_000 });
  // A terminal that takes 150 ms, polled every 15 ms: about ten status polls per charge.
  const slowSim = await createSimulator({ devices: TERMINALS, serviceMs: 150, journalSize: 1_000 });
  const admin = new Redis(server.url);
  const conn = new Redis(server.url, REDIS_OPTIONS);
  const core = createCore({ connection: conn, tag: 'mypay', settings: { poll: { denseIntervalMs: 5 } } });
  const pollCore = createCore({ connection: conn, tag: 'poll', settings: { poll: { denseIntervalMs: 15 } } });
  try {
    // 1. Finished charges: the outcome is known at the first status poll.
    const base = await usedMemory(admin);
    const run = await runCharges(admin, core, sim, CHARGES, 'f');
    const finished = await usedMemory(admin);
    const sample = run.ids[0]!;
    const perKey = {
      record: await admin.memory('USAGE', core.store.keys.op(sample)),
      audit: await admin.memory('USAGE', core.store.keys.audit(sample)),
      deviceJob: await admin.memory('USAGE', `${core.prefix}:device:${sample}`),
      statusJob: await admin.memory('USAGE', `${core.prefix}:status:${sample}.status`),
    };

    // The same charges once BullMQ's completed-job retention (24 h / 20 000 per queue) has let go of
    // their jobs: what each charge costs for RECORD_RETENTION_DAYS.
    const member = `${TEST_MERCHANT.storeUid}|${devices[0]}`;
    const deviceAudit = { entries: await admin.xlen(core.store.keys.auditDevice(member)), bytes: await admin.memory('USAGE', core.store.keys.auditDevice(member)) };
    await Promise.all([core.deviceQueue.clean(0, 1_000_000, 'completed'), core.statusQueue.clean(0, 1_000_000, 'completed')]);
    const recordsOnly = await usedMemory(admin);

    // 2. Polling: the marginal cost of one more status poll.
    const polled = await runCharges(admin, pollCore, slowSim, Math.max(200, Math.round(CHARGES / 4)), 'p');
    const cpuPerCharge = (r: Run) => r.cpuSeconds / r.ids.length;
    const pollsPerCharge = (r: Run) => r.polls / r.ids.length;
    const perPollMicros = ((cpuPerCharge(polled) - cpuPerCharge(run)) / (pollsPerCharge(polled) - pollsPerCharge(run))) * 1e6;
    const commandsPerPoll = (polled.calls / polled.ids.length - run.calls / run.ids.length) / (pollsPerCharge(polled) - pollsPerCharge(run));

    // 3. Waiting operations: no workers; WAITING charges on 50 terminals, all but 50 wait in line.
    const producer = createProducer(core);
    const before = await usedMemory(admin);
    for (let i = 0; i < WAITING; i++) await producer.enqueueCharge(charge(`w-${i}`, devices[i % 50]!));
    const waiting = await usedMemory(admin);

    const top = Object.entries(run.byCommand).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${(v / CHARGES).toFixed(1)}`);
    console.log(JSON.stringify({
      redis: (await info(admin, 'server')).redis_version,
      charges: CHARGES,
      terminals: TERMINALS,
      wallSeconds: Number(run.seconds.toFixed(1)),
      bytesPerFinishedCharge: Math.round((finished - base) / CHARGES),
      bytesPerChargeAfterJobRetention: Math.round((recordsOnly - base) / CHARGES),
      bytesPerTerminalAuditEntry: Math.round((deviceAudit.bytes ?? 0) / Math.max(1, deviceAudit.entries)),
      bytesPerWaitingOperation: Math.round((waiting - before) / WAITING),
      sampleKeyBytes: perKey,
      pollsPerCharge: Number(pollsPerCharge(run).toFixed(2)),
      commandsPerCharge: Number((run.calls / CHARGES).toFixed(1)),
      commandMicrosPerCharge: Number((run.usec / CHARGES).toFixed(1)),
      mainThreadCpuMicrosPerCharge: Math.round(cpuPerCharge(run) * 1e6),
      chargesPerSecondAtOneFullCore: Math.round(1 / cpuPerCharge(run)),
      extraPoll: { pollsPerCharge: Number(pollsPerCharge(polled).toFixed(2)), commands: Math.round(commandsPerPoll), mainThreadCpuMicros: Math.round(perPollMicros) },
      topCommandsPerCharge: top,
    }, null, 2));
  } finally {
    await core.close();
    await pollCore.close();
    await conn.quit();
    await admin.quit();
    await sim.close();
    await slowSim.close();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
