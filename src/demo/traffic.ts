/**
 * The demo traffic generator: sends realistic operations to the HTTP API (over HTTP, like any store
 * backend) so Bull Board and the metrics fill. With the simulator's origin it also takes terminals
 * offline for a few seconds and drops gateway answers (outcome unknown → follow-up by query).
 */
import type { Logger } from 'pino';
import { httpClient, type HttpClient } from './client.js';
import { makeBadCharge, makeCharge, nextAction, pick, type Action, type DemoCharge } from './scenarios.js';

export interface TrafficOptions {
  apiUrl: string;
  apiKey: string;
  storeUid: string;
  devices: readonly string[];
  /** Operations started per second. Default 1. */
  ratePerSecond?: number;
  /** Simulator origin (`http://127.0.0.1:4010`) for terminal/gateway failures; unset: none. */
  simOrigin?: string;
  logger: Logger;
  random?: () => number;
}

export interface Traffic {
  /** `action status` → count, e.g. `charge 202`. */
  stats(): Record<string, number>;
  stop(): Promise<void>;
}

const REFUNDABLE = new Set(['paid', 'partially_refunded']);

export function startTraffic(o: TrafficOptions): Traffic {
  const random = o.random ?? Math.random;
  const api = httpClient(o.apiUrl, o.apiKey);
  const sim: HttpClient | undefined = o.simOrigin ? httpClient(o.simOrigin) : undefined;
  const recent: DemoCharge[] = [];
  const counts: Record<string, number> = {};
  const runId = Date.now().toString(36);
  let seq = 0;
  let inflight = new Set<Promise<void>>();
  const count = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);

  async function paidCharge(): Promise<{ charge: DemoCharge; refundable: number } | null> {
    for (let i = 0; i < 4 && recent.length; i++) {
      const charge = pick(recent, random);
      const r = await api.get(`/v1/payments/${o.storeUid}/${encodeURIComponent(charge.order_id)}`);
      const p = r.body as { state?: string; cost?: number; refunded_amount?: number; reserved_amount?: number };
      if (r.status === 200 && p.state && REFUNDABLE.has(p.state)) {
        return { charge, refundable: (p.cost ?? 0) - (p.refunded_amount ?? 0) - (p.reserved_amount ?? 0) };
      }
    }
    return null;
  }

  async function act(action: Action): Promise<string> {
    const orderId = `demo-${runId}-${++seq}`;
    switch (action) {
      case 'charge': {
        const charge = makeCharge(orderId, o.devices, random);
        const r = await api.post('/v1/charges', { ...charge, store_uid: o.storeUid });
        if (r.status === 202) {
          recent.push(charge);
          if (recent.length > 300) recent.shift();
        }
        return `charge ${r.status}`;
      }
      case 'replay': {
        if (!recent.length) return 'replay skipped';
        // A POS retrying after a lost answer: same body, same key → the same operation, nothing new.
        const charge = pick(recent, random);
        const r = await api.post('/v1/charges', { ...charge, store_uid: o.storeUid }, { 'Idempotency-Key': charge.order_id });
        return `replay ${r.status}`;
      }
      case 'refund': {
        const paid = await paidCharge();
        if (!paid || paid.refundable <= 0) return 'refund skipped';
        const cost = random() < 0.5 ? paid.refundable : Math.max(1, Math.floor(paid.refundable / 2));
        const r = await api.post('/v1/refunds', { order_id: paid.charge.order_id, cost, store_uid: o.storeUid }, { 'Idempotency-Key': `${paid.charge.order_id}-r${++seq}` });
        return `refund ${r.status}`;
      }
      case 'reprint': {
        const paid = await paidCharge();
        if (!paid) return 'reprint skipped';
        const kind = random() < 0.5 ? 'invoice' : 'signature';
        const r = await api.post(`/v1/reprints/${kind}`, { order_id: paid.charge.order_id, store_uid: o.storeUid }, { 'Idempotency-Key': `${paid.charge.order_id}-p${++seq}` });
        return `reprint ${r.status}`;
      }
      case 'bad_request': {
        const r = await api.post('/v1/charges', { ...makeBadCharge(orderId, o.devices, random), store_uid: o.storeUid });
        return `bad_request ${r.status}`;
      }
      case 'terminal_offline': {
        if (!sim) return 'terminal_offline skipped';
        const r = await sim.post('/_sim/devices', { store_uid: o.storeUid, offline: [pick(o.devices, random)], forMs: 4_000 });
        return `terminal_offline ${r.status}`;
      }
      case 'gateway_fault': {
        if (!sim) return 'gateway_fault skipped';
        // The charge happens but its answer is lost: the orchestrator must query, never resend blindly.
        const r = await sim.post('/_sim/faults', { kind: 'reset', when: 'after', command: 'api/postransaction', store_uid: o.storeUid, count: 1 });
        return `gateway_fault ${r.status}`;
      }
    }
  }

  const tick = () => {
    const p = act(nextAction(random))
      .then((key) => void count(key), (err: Error) => {
        count('error');
        o.logger.debug({ err: err.message }, 'demo request failed');
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const timer = setInterval(tick, Math.max(10, Math.round(1000 / (o.ratePerSecond ?? 1))));
  const report = setInterval(() => o.logger.info({ demo: { ...counts } }, 'demo traffic'), 30_000);
  report.unref();
  return {
    stats: () => ({ ...counts }),
    async stop() {
      clearInterval(timer);
      clearInterval(report);
      const pending = inflight;
      inflight = new Set();
      await Promise.allSettled([...pending]);
    },
  };
}
