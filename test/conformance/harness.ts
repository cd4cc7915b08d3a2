/** Builds {@link GatewayHarness}es: the gateway client in front of an in-process simulator. */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { TEST_MERCHANT } from '../../src/config/config.js';
import { createGatewayClient, type GatewayClientOptions } from '../../src/gateway/index.js';
import { createSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import type { GatewayHarness } from './suite.js';

export const STORE = { store_uid: TEST_MERCHANT.storeUid, key: TEST_MERCHANT.key };

export interface SimHarness extends GatewayHarness {
  sim: Simulator;
  /** A control request to the simulator, over HTTP(S) like an out-of-process user. */
  control(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
}

export async function simulatorHarness(
  simOptions: SimulatorOptions = {},
  clientOptions: Partial<GatewayClientOptions> = {},
): Promise<SimHarness> {
  const sim = await createSimulator({ serviceMs: 150, followUpMs: 50, ...simOptions });
  const client = createGatewayClient({
    url: sim.url,
    allowedHosts: ['127.0.0.1'],
    connectTimeoutMs: 2_000,
    answerTimeoutMs: 3_000,
    ...(sim.ca ? { ca: sim.ca } : {}),
    ...clientOptions,
  });
  const agent = new Agent(sim.ca ? { connect: { ca: sim.ca } } : {});
  const control = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) => {
    const res = await request(`${sim.origin}${path}`, { method, dispatcher: agent, body: body === undefined ? undefined : JSON.stringify(body) });
    const json: unknown = await res.body.json();
    if (res.statusCode !== 200) throw new Error(`${method} ${path}: HTTP ${res.statusCode} ${JSON.stringify(json)}`);
    return json;
  };
  return {
    sim,
    client,
    store: STORE,
    devices: ['A01', 'A02'],
    unknownStore: { store_uid: '999999999999', key: randomBytes(16).toString('hex') },
    busyWindowMs: typeof simOptions.serviceMs === 'number' ? simOptions.serviceMs : 150,
    settleMs: 3_000,
    setOnline: async (device, online) => {
      await control('POST', '/_sim/devices', online ? { online: [device] } : { offline: [device] });
    },
    control,
    close: async () => {
      await client.close();
      await agent.close();
      await sim.close();
    },
  };
}
