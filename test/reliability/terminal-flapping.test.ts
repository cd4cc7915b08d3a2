/**
 * Terminals flapping offline / online (docs/RELIABILITY.md): while every terminal has a line of charges,
 * terminals drop offline for a moment and come back, again and again, and now and then the gateway
 * answers "offline" for a terminal that is up. An operation refused as offline keeps its place at
 * the head of its line and is retried; it fails only after the retry deadline. Per terminal, the
 * operations the gateway accepted were accepted in the order they were enqueued, and no terminal
 * was ever sent an operation while busy with another.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { charge, startHarness, type Harness } from '../support/harness.js';
import { diagnose, doubleCharges, fifoViolations, ledgerMismatches, settle } from './support/checks.js';
import { PROFILE } from './support/profile.js';
import { SEED, report, seededRandom, sleep } from './support/report.js';

const P = PROFILE.flapping;
let h: Harness | undefined;
afterAll(async () => h?.close());

describe('terminals flapping', () => {
  it(`${P.terminals} terminals × ${P.perTerminal} charges while terminals go offline ${P.flaps} times: FIFO kept, no busy violation`, async () => {
    const random = seededRandom(SEED);
    h = await startHarness({
      sim: { devices: P.terminals, serviceMs: { minMs: 30, maxMs: 120 }, journalSize: 200_000, random: seededRandom(SEED + 1) },
      // Outages up to 1.2 s against a 3 s retry deadline: most operations ride them out, an unlucky
      // one may fail at the deadline (by design: the terminal stayed unavailable).
      settings: { retryDeadlineMs: 3_000, retry: { baseMs: 50, maxMs: 400 }, poll: { maxAgeMs: 20_000 } },
    });
    const harness = h;
    const devices = Array.from({ length: P.terminals }, (_, i) => `A${String(i + 1).padStart(2, '0')}`);
    // The gateway also answers "offline" for a terminal that is up, now and then (a flaky link).
    h.sim.faults.add({ kind: 'offline', command: 'api/postransaction', probability: 0.03 });
    h.startWorker(50);

    const expected = new Map<string, string[]>(devices.map((d) => [d, []]));
    const ids: string[] = [];
    const enqueue = async (wave: number) => {
      for (let i = 0; i < P.perTerminal; i++) {
        for (const d of devices) {
          const orderId = `flap-${SEED}-${wave}-${d}-${i}`;
          ids.push((await harness.producer.enqueueCharge(charge(orderId, 100 + 100 * (i % 9), d))).operation.id);
          expected.get(d)!.push(`charge ${orderId}`);
        }
      }
    };

    const started = Date.now();
    let flaps = 0;
    let offlineMs = 0;
    const flapper = (async () => {
      while (flaps < P.flaps) {
        const d = devices[Math.floor(random() * devices.length)]!;
        const forMs = Math.round(100 + random() * 1_100);
        harness.sim.setOnline(d, false, { forMs });
        flaps++;
        offlineMs += forMs;
        await sleep(Math.round(20 + random() * 120));
      }
    })();
    await enqueue(0);
    // A second wave joins the lines while the first is still being served and terminals still flap.
    await sleep(1_000);
    await enqueue(1);
    await flapper;
    const result = await settle(h.core, ids, 180_000);
    const elapsed = Date.now() - started;

    const journal = h.sim.journal(0, 1_000_000);
    const offlineAnswers = journal.filter((e) => (e.answer as { msg?: string } | undefined)?.msg?.includes('目前未連線')).length;
    const fifo = fifoViolations(journal, expected);
    const stats = h.sim.engine.stats;
    const all = [...result.ops.values()].filter((o) => o !== null);
    const dbl = doubleCharges(h.sim);
    const mismatch = ledgerMismatches(h.sim, all);
    const failed = all.filter((o) => o.state === 'failed');

    report('terminal-flapping', {
      seed: SEED,
      terminals: P.terminals,
      charges: ids.length,
      'offline flaps': flaps,
      'terminal-time offline (s)': Math.round(offlineMs / 100) / 10,
      'answers "terminal offline"': offlineAnswers,
      'retries of offline answers (POSTs beyond the first)': all.reduce((s, o) => s + Math.max(0, (o.sends ?? 0) - 1), 0),
      'FIFO violations (terminals out of order)': fifo.length,
      'busy violations': stats.busyViolations,
      'double charges': dbl.count,
      'states vs gateway ledger: mismatches': mismatch.count,
      'operations lost (no record)': result.missing.length,
      'operations not final': result.open.length,
      'failed at the retry deadline (terminal unavailable, by design)': failed.length,
      'final states': result.states,
      'run (s)': Math.round(elapsed / 100) / 10,
    });

    if (fifo.length || stats.busyViolations || result.open.length) {
      console.log(`evidence: ${await diagnose('terminal-flapping', h.core, h.sim, { devices: [...fifo, ...stats.busyViolationLog.map((v) => v.device_name)].slice(0, 5), open: result.open })}`);
    }
    expect(offlineAnswers).toBeGreaterThan(0);
    expect(fifo).toEqual([]);
    expect(stats.busyViolations).toBe(0);
    expect(dbl.count).toBe(0);
    expect(mismatch.examples).toEqual([]);
    expect(result.missing).toEqual([]);
    expect(result.open.map((o) => `${o.id} ${o.state}`)).toEqual([]);
    // Every failure is an operation that met an offline terminal until its deadline.
    for (const o of failed) expect(o.msg).toMatch(/未連線|not delivered/);
  });
});
