/**
 * Safe production start (issue #16), as real processes (`node --import tsx src/main.ts`, what
 * `npm start` / `npm run worker` run): a payments service never fakes payments by accident.
 * - NODE_ENV=production without MYPAY_URL refuses, in one line saying what to set; MYPAY_MODE=demo
 *   is the explicit way to run the bundled simulator there.
 * - `--role worker` and `--role api` never default to a simulator: without MYPAY_URL they refuse.
 * - Settings that must be positive refuse 0; a bad configuration prints one line per variable.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, envSchema, loadEnv } from '../../src/config/config.js';
import { startTestRedis, type TestRedis } from '../support/redis.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Demo starts keep their simulator state and credentials here, not in the repository's .data/. */
const dataDir = mkdtempSync(join(tmpdir(), 'mypay-prod-start-'));

/** Runs src/main.ts with exactly `env` (plus PATH/HOME); stops it with SIGTERM once `until` is seen. */
function runMain(args: string[], env: Record<string, string>, until?: RegExp): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, 'src/main.ts', ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let stopped = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!stopped && until?.test(stdout)) {
        stopped = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
const MERCHANT = { MYPAY_STORE_UID: '289151880002', MYPAY_STORE_KEY: 'KYTjd9ACcjGaTK6V3zWmMkyrQS08Ndcx' };

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('production start refusals (real processes)', () => {
  it('each refusal is one line naming what to set, exit 1, nothing started', async () => {
    const base = { REDIS_URL: redis.url, QUEUE_PREFIX: `${redis.prefix}p`, PORT: '0', SIM_PORT: '0', DEMO_DATA_DIR: dataDir, METRICS_PORT: '0' };
    const cases: [string, string[], Record<string, string>, RegExp][] = [
      ['NODE_ENV=production without MYPAY_URL', [], { ...base, NODE_ENV: 'production' }, /^configuration error: MYPAY_URL: required with NODE_ENV=production \(the gateway, e\.g\. https:\/\/ka\.mypay\.tw\/api\/init\); set MYPAY_MODE=demo to run the bundled simulator instead$/],
      ['--role worker without MYPAY_URL', ['--role', 'worker'], base, /^configuration error: MYPAY_URL: required for --role worker \(the gateway, e\.g\. https:\/\/ka\.mypay\.tw\/api\/init\); only npm start runs the bundled simulator$/],
      ['--role worker without MYPAY_URL, even with MYPAY_MODE=demo', ['--role', 'worker'], { ...base, MYPAY_MODE: 'demo' }, /^configuration error: MYPAY_URL: required for --role worker/],
      ['--role api without MYPAY_URL', ['--role', 'api'], base, /^configuration error: MYPAY_URL: required for --role api/],
      ['MYPAY_MODE=demo with MYPAY_URL', [], { ...base, ...MERCHANT, MYPAY_MODE: 'demo', MYPAY_URL: 'https://ka.mypay.tw/api/init' }, /^configuration error: MYPAY_MODE: demo runs the bundled simulator as the gateway; unset MYPAY_URL or MYPAY_MODE$/],
      ['MYPAY_MODE other than demo', [], { ...base, MYPAY_MODE: 'simulator' }, /^configuration error: MYPAY_MODE: /],
      ['a gateway off the allow-list (GatewayConfigError, not retryable)', ['--role', 'worker'], { ...base, ...MERCHANT, MYPAY_URL: 'https://evil.example.com/api/init' }, /^configuration error: .*gateway host evil\.example\.com is not allow-listed/],
      ['an unknown --role', ['--role', 'both'], base, /^configuration error: option '--role <role>' argument 'both' is invalid\. Allowed choices are all, api, worker\.$/],
    ];
    const runs = await Promise.all(cases.map(([, args, env]) => runMain(args, env)));
    runs.forEach((run, i) => {
      const [name, , , line] = cases[i]!;
      expect(run.code, `${name}: ${run.stderr}${run.stdout}`).toBe(1);
      expect(lines(run.stderr), name).toHaveLength(1);
      expect(lines(run.stderr)[0], name).toMatch(line);
      expect(run.stdout, name).toBe('');
    });
  }, 120_000);

  it('zeros where a positive setting is needed, a bad type and an unknown variable: one line per variable', async () => {
    const run = await runMain(['--role', 'worker'], {
      REDIS_URL: redis.url, MYPAY_URL: 'https://ka.mypay.tw/api/init', ...MERCHANT,
      LEASE_MS: '0', SWEEP_INTERVAL_MS: '0', API_BODY_LIMIT_BYTES: '0', CLAIM_BUDGET_MS: 'soon', MYPAY_ANSWER_TIMEOUT: '5000',
    });
    expect(run.code).toBe(1);
    const got = lines(run.stderr);
    expect(got).toHaveLength(5);
    for (const line of got) expect(line).toMatch(/^configuration error: [A-Z_]+: /);
    expect(got.map((l) => l.split(':')[1]!.trim()).sort()).toEqual(['API_BODY_LIMIT_BYTES', 'CLAIM_BUDGET_MS', 'LEASE_MS', 'MYPAY_ANSWER_TIMEOUT', 'SWEEP_INTERVAL_MS']);
    expect(got.find((l) => l.includes('MYPAY_ANSWER_TIMEOUT:'))).toMatch(/unknown setting/);
  });

  it('MYPAY_MODE=demo runs the bundled simulator under NODE_ENV=production, as asked', async () => {
    const run = await runMain([], { REDIS_URL: redis.url, QUEUE_PREFIX: `${redis.prefix}d`, PORT: '0', SIM_PORT: '0', DEMO_DATA_DIR: dataDir, NODE_ENV: 'production', MYPAY_MODE: 'demo', REDIS_DURABILITY: 'none' }, /"msg":"started"/);
    expect(run.stdout).toMatch(/\(demo: bundled simulator\)/);
    expect(run.stdout).toMatch(/Simulator\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(run.code).toBe(0);
  });
});

describe('settings that must be positive', () => {
  /** Settings where 0 means something on purpose; every other number refuses 0. */
  const ZERO_MEANS: Record<string, string> = {
    PORT: 'any free port',
    METRICS_PORT: 'no ops server',
    SIM_PORT: 'any free port',
    PRINT_COOLDOWN_MS: 'hand the terminal on at once after a reprint',
    BATCH_RATE_LIMIT_PER_S: 'no limit',
    GATEWAY_QUERIES_PER_SECOND: 'no cap on status queries',
    POLL_QUIET_MS: 'no quiet phase: the first status query one dense interval after the POST',
    POLL_DENSE_UNTIL_MS: 'no dense phase: the tail interval from the quiet phase on',
    SIM_SERVICE_MS: 'a simulated terminal that answers at once (benchmarks)',
    SIM_SERVICE_JITTER_MS: 'no jitter',
    SIM_PRINT_MS: 'a printer that prints at once',
    SIM_FOLLOW_UP_MS: 'outcome steps at once',
    SIM_JOURNAL_SIZE: 'no journal',
  };

  it('refuse 0, except those where 0 has a meaning of its own (listed here)', () => {
    const numeric = Object.keys(envSchema.shape).filter((k) => envSchema.shape[k as keyof typeof envSchema.shape].safeParse('7').data === 7);
    const acceptZero = numeric.filter((k) => envSchema.shape[k as keyof typeof envSchema.shape].safeParse('0').success);
    expect(acceptZero.sort()).toEqual(Object.keys(ZERO_MEANS).sort());
    for (const k of numeric.filter((n) => !ZERO_MEANS[n])) {
      expect(() => loadEnv({ [k]: '0' }), k).toThrow(ConfigError);
    }
  });

  it('ConfigError keeps one line per variable, several problems of one variable on its line', () => {
    try {
      loadEnv({ LEASE_MS: '0', POLL_DENSE_MS: '-1', MYPAY_TYPO: 'x' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const e = err as ConfigError;
      expect(e.lines.map((l) => l.split(':')[0])).toEqual(['MYPAY_TYPO', 'LEASE_MS', 'POLL_DENSE_MS']);
      expect(e).toMatchObject({ code: 'CONFIG', retryable: false });
    }
  });
});
