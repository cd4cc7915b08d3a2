/** Talks to a running simulator over real HTTP(S), the way the spec's sample clients do. */
import { afterEach } from 'vitest';
import { Agent, request } from 'undici';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { encodeEnvelope, encryptBytes, envelopeToForm, phpJsonEncode, type Command } from '../../src/domain/codec/index.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';

export const STORE = { store_uid: TEST_MERCHANT.storeUid, key: TEST_MERCHANT.key };

export interface PostOptions {
  /** `form` (PHP, Python, Java, C# samples) or `json` (JavaScript sample). Default form. */
  format?: 'form' | 'json';
  /** Encrypt PHP's `json_encode` output (`\/` and `\uXXXX` escapes). */
  php?: boolean;
  store?: { store_uid: string; key: string };
}

export interface Answer {
  code: string;
  msg: string;
  rows?: Record<string, unknown>[];
}

const sims: Simulator[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

/** A simulator closed after the current test. */
export async function startSim(options: SimulatorOptions = {}): Promise<Simulator> {
  const sim = await createSimulator(options);
  sims.push(sim);
  return sim;
}

const dispatcherFor = (sim: Simulator): Agent | undefined => {
  if (!sim.ca) return undefined;
  const agent = new Agent({ connect: { ca: sim.ca } });
  agents.push(agent);
  return agent;
};

export function envelopeBody(cmd: Command, data: unknown, opts: PostOptions = {}): { body: string; contentType: string } {
  const store = opts.store ?? STORE;
  const env = opts.php
    ? {
        store_uid: store.store_uid,
        service: encryptBytes(Buffer.from(phpJsonEncode({ service_name: 'api', cmd })), store.key),
        encry_data: encryptBytes(Buffer.from(phpJsonEncode(data)), store.key),
      }
    : encodeEnvelope(store.store_uid, store.key, cmd, data);
  return opts.format === 'json'
    ? { body: JSON.stringify(env), contentType: 'application/json' }
    : { body: envelopeToForm(env), contentType: 'application/x-www-form-urlencoded' };
}

export async function postRaw(sim: Simulator, body: string, contentType: string): Promise<{ status: number; text: string }> {
  const res = await request(sim.url, { method: 'POST', body, headers: { 'content-type': contentType }, dispatcher: dispatcherFor(sim) });
  return { status: res.statusCode, text: await res.body.text() };
}

/** POSTs one command to `/api/init` and returns the parsed answer. */
export async function send(sim: Simulator, cmd: Command, data: unknown, opts: PostOptions = {}): Promise<Answer> {
  const { body, contentType } = envelopeBody(cmd, data, opts);
  const res = await postRaw(sim, body, contentType);
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text}`);
  return JSON.parse(res.text) as Answer;
}

/** A control request under `/_sim/*`. */
export async function control<T = Record<string, unknown>>(sim: Simulator, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const res = await request(`${sim.origin}${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    dispatcher: dispatcherFor(sim),
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${method} ${path}: HTTP ${res.statusCode} ${text}`);
  return (res.headers['content-type']?.toString().includes('json') ? JSON.parse(text) : text) as T;
}

export const charge = (order_id: string, cost: number | string, extra: Record<string, unknown> = {}) => ({
  store_uid: STORE.store_uid,
  device_name: 'A01',
  order_id,
  cost: String(cost),
  pfn: 'CREDITCARD',
  ...extra,
});

/** The first querydirect row for an order. */
export async function queryRow(sim: Simulator, order_id: string, cost: number | string): Promise<Record<string, unknown>> {
  const a = await send(sim, 'api/querydirect', { store_uid: STORE.store_uid, order_id, cost: String(cost) });
  if (a.code !== 'B200' || !a.rows?.[0]) throw new Error(`query failed: ${JSON.stringify(a)}`);
  return a.rows[0];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
