/**
 * The control and inspection API under `/_sim/*` (docs/SIMULATOR.md lists every endpoint).
 * Unauthenticated by design: the simulator is a local test double and binds to loopback by default.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { CallbackConfig } from './callbacks.js';
import { configBodySchema, devicesBodySchema, faultsBodySchema, scriptOrderSchema, storeBodySchema } from './control-schemas.js';
import type { FaultRule, FaultRuleInput } from './faults.js';
import { parseJsonBody, sendJson, sendText } from './http-io.js';
import type { JournalEntry } from './journal.js';
import type { DuplicateOrders } from './options.js';
import type { OutcomeScript } from './outcomes.js';

export interface ControlTarget {
  stats(): unknown;
  journal(since: number, limit: number): JournalEntry[];
  orders(): unknown[];
  ca: string | undefined;
  reset(): void;
  script(orderId: string, outcome: OutcomeScript, storeUid?: string): void;
  addFaults(rules: FaultRuleInput[]): FaultRule[];
  listFaults(): FaultRule[];
  removeFault(id?: number): boolean;
  devices(input: z.output<typeof devicesBodySchema>): unknown;
  addStore(input: z.output<typeof storeBodySchema>): void;
  configureCallbacks(input: unknown): CallbackConfig;
  /** Changes run-time settings (unset fields stay) and answers them all. */
  config(input?: z.output<typeof configBodySchema>): { duplicateOrders: DuplicateOrders };
}

class NotFound extends Error {}

export function handleControl(target: ControlTarget, req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://sim');
  const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
  try {
    const answer = dispatch(target, route, url, body);
    if (typeof answer === 'string') sendText(res, 200, answer, 'application/x-pem-file');
    else sendJson(res, 200, answer);
  } catch (err) {
    if (err instanceof NotFound) sendJson(res, 404, { error: `no such control endpoint: ${route}` });
    else if (err instanceof z.ZodError) sendJson(res, 400, { error: 'invalid body', issues: err.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    else if (err instanceof SyntaxError) sendJson(res, 400, { error: 'body is not JSON' });
    else sendJson(res, 400, { error: (err as Error).message });
  }
}

function dispatch(t: ControlTarget, route: string, url: URL, body: string): unknown {
  const json = () => parseJsonBody(body);
  const num = (name: string, def: number) => {
    const v = url.searchParams.get(name);
    return v === null ? def : Math.max(0, Number(v) || 0);
  };
  switch (route) {
    case 'GET /_sim/health':
      return { ok: true };
    case 'GET /_sim/stats':
      return t.stats();
    case 'GET /_sim/journal':
      return t.journal(num('since', 0), num('limit', Number.MAX_SAFE_INTEGER));
    case 'GET /_sim/ca.pem':
      if (!t.ca) throw new NotFound();
      return t.ca;
    case 'GET /_sim/orders':
      return t.orders();
    case 'POST /_sim/orders': {
      const s = scriptOrderSchema.parse(json());
      t.script(s.order_id, s.outcome, s.store_uid);
      return { scripted: s.order_id, outcome: s.outcome };
    }
    case 'POST /_sim/reset':
      t.reset();
      return { reset: true };
    case 'GET /_sim/faults':
      return { rules: t.listFaults() };
    case 'POST /_sim/faults': {
      const b = faultsBodySchema.parse(json());
      const rules = Array.isArray(b) ? b : 'rules' in b ? b.rules : [b];
      return { rules: t.addFaults(rules) };
    }
    case 'DELETE /_sim/faults':
      t.removeFault();
      return { rules: [] };
    case 'POST /_sim/devices':
      return t.devices(devicesBodySchema.parse(json()));
    case 'POST /_sim/stores':
      t.addStore(storeBodySchema.parse(json()));
      return { added: true };
    case 'POST /_sim/callbacks':
      return t.configureCallbacks(json());
    case 'GET /_sim/config':
      return t.config();
    case 'POST /_sim/config':
      return t.config(configBodySchema.parse(json()));
  }
  const fault = /^DELETE \/_sim\/faults\/(\d+)$/.exec(route);
  if (fault) return { removed: t.removeFault(Number(fault[1])) };
  throw new NotFound();
}
