/** The checks every scenario shares: settle, double charges, agreement with the gateway's ledger, FIFO. */
import { isFinalState } from '../../../src/domain/operation/states.js';
import type { Core } from '../../../src/queues/core.js';
import type { StoredOperation } from '../../../src/store/record.js';
import type { JournalEntry, Simulator } from '../../../src/simulator/index.js';
import { sleep } from './report.js';

export interface Settled {
  /** Operation id → its record, for every id asked about (null: no record — lost). */
  ops: Map<string, StoredOperation | null>;
  /** Ids with no record at all. */
  missing: string[];
  /** Ids with a record that is not final when the wait ended. */
  open: StoredOperation[];
  /** Final state → count. */
  states: Record<string, number>;
  /** ms from the call until everything was final (or the timeout). */
  waitedMs: number;
}

/** Waits until every operation is in a final state (`unresolved` included) or the timeout passes. */
export async function settle(core: Core, ids: readonly string[], timeoutMs: number): Promise<Settled> {
  const started = Date.now();
  let ops: (StoredOperation | null)[] = [];
  for (;;) {
    ops = [];
    for (let i = 0; i < ids.length; i += 1_000) ops.push(...(await core.store.getMany(ids.slice(i, i + 1_000))));
    const open = ops.filter((o) => !o || !isFinalState(o.state));
    if (open.length === 0 || Date.now() - started > timeoutMs) break;
    await sleep(250);
  }
  const states: Record<string, number> = {};
  for (const o of ops) states[o?.state ?? 'missing'] = (states[o?.state ?? 'missing'] ?? 0) + 1;
  return {
    ops: new Map(ids.map((id, i) => [id, ops[i] ?? null])),
    missing: ids.filter((_, i) => !ops[i]),
    open: ops.filter((o): o is StoredOperation => o !== null && !isFinalState(o.state)),
    states,
    waitedMs: Date.now() - started,
  };
}

/**
 * Charges the gateway took more than once for one order: a second accepted POST (`chargePosts > 1`,
 * impossible by the simulator's rule, checked anyway) or a second POST refused as a repeat
 * (`duplicateChargePosts`: we re-sent an order the gateway already had).
 */
export function doubleCharges(sim: Simulator): { count: number; orders: string[] } {
  const { chargePosts, duplicateChargePosts } = sim.engine.stats;
  const orders = new Set<string>([
    ...Object.entries(chargePosts).filter(([, n]) => n > 1).map(([o]) => o),
    ...Object.keys(duplicateChargePosts),
  ]);
  return { count: orders.size, orders: [...orders].slice(0, 10) };
}

const GATEWAY_TOOK_MONEY = new Set(['250', '600', '230', '290']);
const WE_SAY_MONEY = new Set(['paid', 'partially_refunded', 'refunded', 'needs_review']);

/**
 * Charges whose final state disagrees with the gateway's own ledger about money: the customer was
 * charged but we recorded no payment (declined/failed/rejected/…), or we recorded a payment the
 * gateway does not have. `unresolved` is never a disagreement: it is the state that asks a person.
 */
export function ledgerMismatches(sim: Simulator, charges: readonly StoredOperation[]): { count: number; examples: string[] } {
  const out: string[] = [];
  for (const op of charges) {
    if (op.kind !== 'charge' || op.state === 'unresolved' || !isFinalState(op.state)) continue;
    const order = sim.engine.ledger.find(op.store, op.order_id ?? '');
    const took = order ? GATEWAY_TOOK_MONEY.has(order.prc) : false;
    if (took !== WE_SAY_MONEY.has(op.state)) out.push(`${op.order_id}: ours ${op.state}, gateway ${order ? `prc ${order.prc}` : 'no order'}`);
  }
  return { count: out.length, examples: out.slice(0, 10) };
}

/** The signature of an operation's POST as the simulator saw it. */
export function postSignature(e: JournalEntry): string {
  const r = e.request as Record<string, unknown>;
  if (e.cmd === 'api/postransaction') return `charge ${String(r.order_id)}`;
  if (e.cmd === 'api/posrefund') return `refund ${String(r.uid)} ${String(r.cost)}`;
  return `${e.cmd} ${String(r.uid)}`;
}

/**
 * FIFO per terminal: the order in which each operation was first *accepted* (B200) by its
 * terminal, from the simulator's journal, must be the order in which it was enqueued, once
 * operations that never got a B200 (failed, rejected) are left out.
 * Returns the terminals whose order differs.
 */
export function fifoViolations(journal: readonly JournalEntry[], expected: ReadonlyMap<string, readonly string[]>): string[] {
  const seen = new Map<string, string[]>();
  const first = new Set<string>();
  for (const e of journal) {
    if (e.cmd === 'api/querydirect' || e.cmd === '-' || e.status !== 200) continue;
    if ((e.answer as { code?: string } | undefined)?.code !== 'B200') continue;
    const sig = postSignature(e);
    if (first.has(sig)) continue;
    first.add(sig);
    const d = String((e.request as Record<string, unknown>).device_name);
    if (!seen.has(d)) seen.set(d, []);
    seen.get(d)!.push(sig);
  }
  const bad: string[] = [];
  for (const [device, want] of expected) {
    const got = seen.get(device) ?? [];
    const wanted = want.filter((s) => first.has(s));
    if (JSON.stringify(got) !== JSON.stringify(wanted)) bad.push(device);
  }
  return bad;
}

/** Resident set size of a process (Linux /proc), in bytes; 0 when gone. */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Evidence for a failed check, written next to the figures (`<scenario>.diag.txt`): for each
 * terminal named, what the gateway saw there (journal) and the audit trail of every operation
 * that held or waited for it; for each open operation, its record and its terminal's lease.
 */
export async function diagnose(scenario: string, core: Core, sim: Simulator, opts: { devices?: string[]; open?: StoredOperation[] }): Promise<string> {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { PROFILE } = await import('./profile.js');
  const lines: string[] = [];
  const journal = sim.journal(0, 1_000_000);
  const t0 = journal[0]?.at ?? 0;
  for (const device of new Set(opts.devices ?? [])) {
    lines.push(`== terminal ${device}: gateway journal`);
    const opIds = new Set<string>();
    for (const e of journal) {
      const r = e.request as Record<string, unknown> | undefined;
      if (!r || r.device_name !== device) continue;
      const a = e.answer as { code?: string; msg?: string } | undefined;
      lines.push(`  +${e.at - t0}ms ${postSignature(e)} → ${String(e.status)} ${a?.code ?? ''} ${a?.msg ?? ''}${e.fault ? ` [fault ${e.fault.kind}/${e.fault.when}]` : ''}`);
    }
    for (const e of await core.store.terminalAudit(sim.engine.ledger.orders()[0]?.store_uid ?? '', device, 10_000)) opIds.add(e.op);
    for (const id of opIds) {
      lines.push(`  -- ${id}`);
      for (const a of await core.store.auditTrail(id)) lines.push(`     ${new Date(a.at).getTime() - t0}ms ${a.event} ${JSON.stringify(a.data).slice(0, 200)}`);
    }
  }
  for (const op of opts.open ?? []) {
    const holder = await core.store.leaseHolder(op.store, op.device);
    lines.push(`== open ${op.id} ${op.kind} ${op.state} msg=${op.msg ?? ''} sends=${op.sends ?? 0} terminal ${op.device} held by ${holder ?? 'nobody'}`);
  }
  const dir = join('test-artifacts', 'reliability', PROFILE.name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${scenario}.diag.txt`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
