/**
 * `createSimulator(options)`: a MYPAY LINK gateway and terminal fleet on a real HTTP(S) port, for the
 * demo, tests and benchmarks. See docs/SIMULATOR.md for behaviour, outcomes and the control API.
 */
import { writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import { Callbacks } from './callbacks.js';
import { systemClock, type Clock } from './clock.js';
import type { devicesBodySchema, storeBodySchema } from './control-schemas.js';
import { handleControl, type ControlTarget } from './control.js';
import { Engine } from './engine.js';
import { Faults, type FaultRule, type FaultRuleInput } from './faults.js';
import { deviceNames } from './fleet.js';
import { handleInit } from './gateway-route.js';
import { BodyTooLarge, readBody, sendJson } from './http-io.js';
import { Journal, DEFAULT_JOURNAL_SIZE, redactKeys, type JournalEntry } from './journal.js';
import { durationFn, type SimulatorOptions } from './options.js';
import type { OutcomeScript } from './outcomes.js';
import { SPEC_SAMPLE_ORDERS } from './samples.js';
import { DEFAULT_STATE_MAX_ORDERS, readState, setAside, StateFile, type ReadState } from './state.js';
import { DEFAULT_STORES, type SimStore } from './stores.js';
import { certificateHosts, makeSelfSigned, type SelfSigned } from './tls.js';

export interface Simulator extends ControlTarget {
  /** The gateway endpoint, e.g. `http://127.0.0.1:4010/api/init` (what `MYPAY_URL` takes). */
  readonly url: string;
  /** `http(s)://host:port`, for the `/_sim/*` endpoints. */
  readonly origin: string;
  readonly port: number;
  readonly tls: boolean;
  /** With TLS: the self-signed certificate (PEM) and a file holding it. */
  readonly ca: string | undefined;
  readonly caPath: string | undefined;
  /** Live state, for in-process assertions. */
  readonly engine: Engine;
  readonly faults: Faults;
  /** With `stateFile`: the file, and what the start found in it. */
  readonly state: SimulatorStateInfo | undefined;
  /** With `stateFile`: saves the ledger now (it is saved by itself within 500 ms of a change, and on close). */
  saveState(): Promise<void>;
  /** Takes a terminal offline (optionally for `forMs`) or back online. */
  setOnline(device: string, online: boolean, opts?: { storeUid?: string; forMs?: number }): void;
  close(): Promise<void>;
}

export interface SimulatorStateInfo {
  file: string;
  /** Orders loaded from the file (0 on a first start). */
  orders: number;
  /** Charges and refunds that were in flight and went on (or completed at start, when due). */
  resumed: { charges: number; refunds: number };
  /** The file was not a readable state: moved aside, started with no orders. */
  problem?: string;
}

export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const clock: Clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const stores: SimStore[] = [...(options.stores ?? DEFAULT_STORES)];
  const devices = deviceNames(options.devices ?? 10);
  const maxOrders = options.stateMaxOrders ?? DEFAULT_STATE_MAX_ORDERS;
  let persist: StateFile | undefined;
  const engine = new Engine({
    clock,
    serviceMs: durationFn(options.serviceMs, random),
    printMs: durationFn(options.printMs, random),
    followUpMs: options.followUpMs ?? 0,
    amountOutcomes: options.amountOutcomes ?? true,
    duplicateOrders: options.duplicateOrders ?? 'refuse',
    onChange: (e) => callbacks.notify(e),
    onLedgerChange: () => persist?.changed(),
  });
  const callbacks = new Callbacks(clock, () => engine.stats, options.callbackUrl, random);
  const journal = new Journal(options.journalSize ?? DEFAULT_JOURNAL_SIZE);
  const faults = new Faults(random);
  const hung = new Set<IncomingMessage['socket']>();
  const late = new Set<IncomingMessage['socket']>();
  const timers = new Set<unknown>();
  const later = (fn: () => void, ms: number) => {
    const h = clock.setTimeout(() => {
      timers.delete(h);
      fn();
    }, ms);
    timers.add(h);
  };

  const addStores = () => {
    for (const s of stores) engine.addStore(s, devices);
  };
  const seedSamples = () => {
    if (options.seedSpecSamples ?? true) {
      // Kept in a state file already (unless pruned): not twice.
      for (const o of SPEC_SAMPLE_ORDERS) if (engine.hasStore(o.store_uid) && !engine.ledger.get(o.uid)) engine.seedPaid(o);
    }
  };
  const populate = () => {
    addStores();
    seedSamples();
  };
  addStores();
  // Read now, applied once the server listens: a start that fails (a port in use) leaves no timers
  // and no saves behind to overwrite the file of the one that follows.
  let read: ReadState | undefined;
  if (options.stateFile) read = await readState(options.stateFile);
  else seedSamples();

  let certs: SelfSigned | undefined;
  if (options.tls) {
    certs = await makeSelfSigned(certificateHosts(options.host));
    if (options.caFile) await writeFile(options.caFile, certs.cert);
  }
  const defaultStore = () => stores[0]?.store_uid ?? '';

  const routeDeps = { engine, journal, faults, hung, late, setTimeout: later, now: () => clock.now() };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    readBody(req).then(
      (body) => {
        const path = req.url ?? '/';
        try {
          if (req.method === 'POST' && (path === '/api/init' || path.startsWith('/api/init?'))) {
            handleInit(routeDeps, req, res, body);
          } else if (path.startsWith('/_sim/')) handleControl(sim, req, res, body);
          else sendJson(res, 404, { code: 'B500', msg: '執行失敗' });
        } catch (err) {
          // A simulator bug must show as a 500 to the caller, not as an unhandled rejection.
          if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
          else res.destroy();
        }
      },
      (err: unknown) => {
        if (err instanceof BodyTooLarge && !res.headersSent) sendJson(res, 413, { code: 'B500', msg: '執行失敗' });
        else res.destroy();
      },
    );
  };
  const server: Server = certs
    ? createHttpsServer({ key: certs.key, cert: certs.cert, minVersion: 'TLSv1.2' }, listener)
    : createHttpServer(listener);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Before any request can be read (same tick as 'listening'): the saved ledger and its work in flight.
  let stateInfo: SimulatorStateInfo | undefined;
  if (options.stateFile && read) {
    const file = options.stateFile;
    persist = new StateFile(file, { snapshot: () => engine.exportState(maxOrders), onError: options.onStateError });
    const resumed = read.state ? engine.restoreState(read.state) : { orders: 0, charges: 0, refunds: 0 };
    seedSamples();
    stateInfo = { file, orders: resumed.orders, resumed: { charges: resumed.charges, refunds: resumed.refunds } };
    if (read.problem) stateInfo.problem = `${read.problem}; moved to ${await setAside(file, clock.now())}, started with no orders`;
  }
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  const origin = `${certs ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const sim: Simulator = {
    url: `${origin}/api/init`,
    origin,
    port,
    tls: Boolean(certs),
    ca: certs?.cert,
    caPath: options.caFile ?? certs?.certPath,
    engine,
    faults,
    state: stateInfo,
    saveState: () => persist?.save() ?? Promise.resolve(),
    stats: () => snapshot(engine, journal),
    journal: (since: number, limit: number): JournalEntry[] => {
      const all = journal.entries(since);
      return limit < all.length ? all.slice(0, limit) : all;
    },
    orders: () => engine.ledger.orders().map((o) => redactKeys({ ...o, history: o.history, refunds: o.refunds })),
    reset: () => {
      for (const h of timers) clock.clearTimeout(h);
      timers.clear();
      // Forgotten `late` commands will never be applied: drop their clients too.
      for (const s of late) s.destroy();
      late.clear();
      engine.reset();
      faults.clear();
      journal.clear();
      populate();
    },
    script: (orderId: string, outcome: OutcomeScript, storeUid?: string) => engine.script(storeUid ?? defaultStore(), orderId, outcome),
    addFaults: (rules: FaultRuleInput[]): FaultRule[] => rules.map((r) => faults.add(r)),
    listFaults: () => faults.list(),
    removeFault: (id?: number) => {
      if (id === undefined) {
        faults.clear();
        return true;
      }
      return faults.remove(id);
    },
    setOnline: (device, online, opts = {}) => {
      const store = opts.storeUid ?? defaultStore();
      if (!engine.fleet.setOnline(store, device, online)) throw new Error(`no terminal ${device} in store ${store}`);
      if (opts.forMs) later(() => engine.fleet.setOnline(store, device, !online), opts.forMs);
    },
    devices: (input: z.output<typeof devicesBodySchema>) => {
      const store = input.store_uid ?? defaultStore();
      if (!engine.hasStore(store)) throw new Error(`unknown store ${store}`);
      if (input.add !== undefined) engine.fleet.add(store, deviceNames(input.add));
      for (const d of input.offline ?? []) sim.setOnline(d, false, { storeUid: store, forMs: input.forMs });
      for (const d of input.online ?? []) sim.setOnline(d, true, { storeUid: store });
      return { terminals: engine.fleet.states()[store] ?? {} };
    },
    addStore: (input: z.output<typeof storeBodySchema>) => {
      engine.addStore({ store_uid: input.store_uid, key: input.key }, input.devices === undefined ? devices : deviceNames(input.devices));
    },
    configureCallbacks: (input: unknown) => callbacks.configure(input),
    config: (input = {}) => {
      if (input.duplicateOrders !== undefined) engine.duplicateOrders = input.duplicateOrders;
      return { duplicateOrders: engine.duplicateOrders };
    },
    close: async () => {
      for (const h of timers) clock.clearTimeout(h);
      timers.clear();
      // Pending steps and refunds stop where they are and are saved with their due times.
      engine.stop();
      await persist?.close();
      engine.reset();
      for (const s of [...hung, ...late]) s.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await callbacks.close();
      await certs?.remove();
    },
  };
  return sim;
}

/** The `GET /_sim/stats` document. */
export function snapshot(engine: Engine, journal: Journal) {
  const s = engine.stats;
  const byPrc: Record<string, number> = {};
  const orders = engine.ledger.orders();
  for (const o of orders) byPrc[o.prc] = (byPrc[o.prc] ?? 0) + 1;
  const busy: Record<string, Record<string, { op: string; ref: string; since: number; until: number }>> = {};
  for (const store of engine.storeUids()) {
    for (const [device, state] of Object.entries(engine.fleet.states()[store] ?? {})) {
      const t = engine.fleet.get(store, device);
      if (state === 'busy' && t?.busy) (busy[store] ??= {})[device] = { ...t.busy };
    }
  }
  return {
    busyViolations: s.busyViolations,
    busyViolationLog: s.busyViolationLog.slice(-100),
    chargePosts: { ...s.chargePosts },
    duplicateChargePosts: { ...s.duplicateChargePosts },
    requests: { ...s.requests },
    answers: { ...s.answers },
    faults: { ...s.faults },
    refunds: engine.ledger.refundsByUid(),
    terminals: engine.fleet.states(),
    busy,
    orders: { total: orders.length, byPrc },
    callbacks: { ...s.callbacks },
    late: { ...s.late },
    duplicateOrders: engine.duplicateOrders,
    journal: { capacity: journal.capacity },
  };
}

