/**
 * `mypay send <charge|query|refund|reprint-invoice|reprint-signature> --data '<json>' | --data @file.json`
 *
 * Sends one command to the configured gateway and prints the answer as JSON on stdout; first, one
 * line on stderr names the gateway and the store (src/cli/target.ts). Exit codes
 * (one more line on stderr for every non-zero one):
 * 0 B200 · 1 usage/config · 2 B500 (the answer is still printed) · 3 not delivered (safe to resend) ·
 * 4 outcome unknown or bad answer (the gateway may have acted: query before resending).
 */
import { readFileSync } from 'node:fs';
import { Argument, type Command as Program } from 'commander';
import { Redis, type Cluster } from 'ioredis';
import { connectRedis, queryCapFromEnv } from '../app/runtime.js';
import { loadEnv, loadStores, type Env, type StoreCredentials } from '../config/config.js';
import type { Command } from '../domain/codec/index.js';
import { redactSecrets } from '../domain/redact.js';
import { createGatewayClient, gatewayOptionsFromEnv, isGatewayError, type GatewayFailure } from '../gateway/index.js';
import { announceTarget } from './target.js';

export const SEND_COMMANDS = {
  charge: 'api/postransaction',
  query: 'api/querydirect',
  refund: 'api/posrefund',
  'reprint-invoice': 'api/posreprintinvoice',
  'reprint-signature': 'api/posreprintsignature',
} as const satisfies Record<string, Command>;
export type SendName = keyof typeof SEND_COMMANDS;

export const EXIT = { ok: 0, usage: 1, rejected: 2, notDelivered: 3, outcomeUnknown: 4 } as const;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  env: process.env,
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

interface SendOptions {
  data: string;
  store?: string;
  showKey?: boolean;
}

class UsageError extends Error {}

function readData(spec: string): Record<string, unknown> {
  let text = spec;
  if (spec.startsWith('@')) {
    const file = spec.slice(1);
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (err) {
      throw new UsageError(`--data ${spec}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError('--data is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('--data must be a JSON object');
  return value as Record<string, unknown>;
}

function pickStore(stores: StoreCredentials[], wanted: string | undefined): StoreCredentials {
  if (wanted) {
    const found = stores.find((s) => s.store_uid === wanted);
    if (!found) throw new UsageError(`store ${wanted} is not configured`);
    return found;
  }
  if (stores.length === 1 && stores[0]) return stores[0];
  throw new UsageError(`several stores are configured: choose one with --store or store_uid in --data`);
}

function failureLine(err: GatewayFailure): { code: number; line: string } {
  switch (err.kind) {
    case 'rejected':
      return { code: EXIT.rejected, line: `rejected (${err.reason}): ${err.gatewayMessage}` };
    case 'not_delivered':
      return { code: EXIT.notDelivered, line: `${err.message} — nothing reached the gateway, safe to resend` };
    case 'outcome_unknown':
    case 'bad_answer':
      return { code: EXIT.outcomeUnknown, line: `${err.message} — the gateway may have acted: run "mypay send query" before resending` };
    case 'config':
      return { code: EXIT.usage, line: err.message };
  }
}

/**
 * With the workers' Redis (`REDIS_URL`), a query takes a slot of the deployment's cap on queries like
 * theirs (`GATEWAY_QUERIES_PER_SECOND`); without it the command talks to the gateway alone.
 */
async function capRedis(env: Env, name: SendName): Promise<Redis | Cluster | undefined> {
  const url = env.REDIS_URL;
  if (name !== 'query' || env.GATEWAY_QUERIES_PER_SECOND === 0 || url === undefined) return undefined;
  // A cluster's connection retries (as the workers' does); a single Redis that is not there is said at once.
  const redis = url.startsWith('redis+cluster://') ? connectRedis(url) : new Redis(url, { connectTimeout: 3_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.ping();
    return redis;
  } catch (err) {
    redis.disconnect();
    throw new UsageError(`cannot reach Redis for the cap on queries (GATEWAY_QUERIES_PER_SECOND=0 queries without it): ${(err as Error).message}`);
  }
}

export async function runSend(name: SendName, options: SendOptions, io: CliIo = processIo): Promise<number> {
  let client: ReturnType<typeof createGatewayClient> | undefined;
  let redis: Redis | Cluster | undefined;
  try {
    const env = loadEnv(io.env);
    const data = readData(options.data);
    const fromData = typeof data.store_uid === 'string' ? data.store_uid : undefined;
    if (options.store && fromData && options.store !== fromData) throw new UsageError(`--store ${options.store} differs from store_uid ${fromData} in --data`);
    const store = pickStore(loadStores(env), options.store ?? fromData);
    // Every command's payload carries the merchant's store_uid (spec); fill it in when omitted.
    const payload = { store_uid: store.store_uid, ...data };
    const gateway = gatewayOptionsFromEnv(env);
    redis = await capRedis(env, name);
    client = createGatewayClient({ ...gateway, queryCap: redis && queryCapFromEnv(env, redis) });
    announceTarget(io, { gatewayUrl: gateway.url, stores: [store.store_uid], ...(redis ? { redisUrl: env.REDIS_URL } : {}) });
    const { latencyMs: _latency, ...answer } = await client.send(store, SEND_COMMANDS[name], payload);
    // The charge `key` authorises refunds and reprints (with the uid): shown only on request.
    io.out(JSON.stringify(options.showKey ? answer : redactSecrets(answer), null, 2));
    return EXIT.ok;
  } catch (err) {
    if (isGatewayError(err)) {
      if (err.kind === 'rejected') io.out(JSON.stringify({ code: 'B500', msg: err.gatewayMessage }, null, 2));
      const { code, line } = failureLine(err);
      io.err(`mypay send ${name}: ${line}`);
      return code;
    }
    io.err(`mypay send ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT.usage;
  } finally {
    await client?.close();
    redis?.disconnect();
  }
}

export function registerSend(program: Program, io: CliIo = processIo): void {
  program
    .command('send')
    .description('send one command to the configured MYPAY LINK gateway and print its answer as JSON')
    .addArgument(new Argument('<command>', 'what to send').choices(Object.keys(SEND_COMMANDS)))
    .requiredOption('--data <json>', "the command's fields as JSON, or @file.json (@- for stdin)")
    .option('--store <store_uid>', 'merchant to act for when several are configured (default: store_uid in --data, else the only one)')
    .option('--show-key', 'print the charge `key` in query rows instead of redacting it')
    .action(async (name: SendName, options: SendOptions) => {
      process.exitCode = await runSend(name, options, io);
    });
}
