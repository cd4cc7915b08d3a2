/**
 * docker-compose.yml (issue #9): every setting of the schema reaches the containers, and — where
 * Debian's docker-compose is installed (.ci/run installs it) — the rendered file has what production
 * needs: Redis with AOF everysec + noeviction + a health check, the api, ≥ 2 worker replicas, the
 * simulator only in the `sim` profile, secrets required rather than defaulted, every service running
 * the compiled `dist/` with NODE_ENV=production (issue #16).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/config.js';

const COMPOSE = readFileSync('docker-compose.yml', 'utf8');
/** Settings the containers do not take, and why. */
const NOT_IN_COMPOSE: Record<string, string> = {
  REDIS_DATA_DIR: 'only for the redis-server `npm start` starts itself; compose has its own Redis',
  DEMO: 'the demo traffic generator of `npm start`',
  DEMO_RATE: 'the demo traffic generator of `npm start`',
  DEMO_API_URL: '`npm run demo` against a running API, run from a workstation',
  DEMO_DATA_DIR: 'demo mode of `npm start` only (its simulator orders and generated credentials); compose always names a gateway',
  SIM_CA_FILE: 'set to the shared volume path in the simulator service',
  MYPAY_MODE: 'compose always names a gateway (MYPAY_URL is required); demo mode is the bundled simulator of `npm start`',
};

const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

function render(args: string[], env: Record<string, string> = {}): { status: number | null; out: string; err: string } {
  const r = spawnSync('docker-compose', [...args, '-f', 'docker-compose.yml', 'config'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** docker-compose's own YAML parser (python3-yaml, a dependency of the package) turns the rendering into JSON. */
function renderJson(args: string[]): { services: Record<string, Record<string, unknown>> } {
  const yaml = render(args);
  expect(yaml.status, yaml.err).toBe(0);
  return JSON.parse(execFileSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: yaml.out, encoding: 'utf8' })) as {
    services: Record<string, Record<string, unknown>>;
  };
}

describe('docker-compose.yml', () => {
  it('runs the compiled image: the Dockerfile builds dist/ in a stage of its own and runs node dist/main.js on production dependencies', () => {
    const docker = readFileSync('Dockerfile', 'utf8');
    expect(docker).toMatch(/^FROM node:20-slim AS build$/m);
    expect(docker).toMatch(/^RUN npm run build$/m);
    expect(docker).toMatch(/^RUN npm ci --omit=dev/m);
    expect(docker).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(docker).toMatch(/^CMD \["node", "--enable-source-maps", "dist\/main\.js"\]$/m);
    expect(docker).toMatch(/NODE_ENV=production/);
    // The runtime stage (after the last FROM) copies no sources: only dist/ and the bin launcher.
    const runtime = docker.slice(docker.lastIndexOf('\nFROM '));
    expect(runtime).not.toMatch(/^COPY src/m);
    expect(runtime).not.toMatch(/^RUN npm ci --no-audit/m);
    expect(COMPOSE).not.toMatch(/command: \["npm"/);
  });

  it('passes every setting of src/config/config.ts to the containers (or says why not)', () => {
    const missing = Object.keys(envSchema.shape).filter((k) => !NOT_IN_COMPOSE[k] && !new RegExp(`^\\s+${k}:`, 'm').test(COMPOSE));
    expect(missing).toEqual([]);
  });

  it.skipIf(!hasCompose)('renders with the demo env file: Redis AOF appendfsync always + noeviction + ping health check, api, ≥ 2 workers, simulator in the sim profile', () => {
    const { services } = renderJson(['--env-file', 'deploy/sim.env', '--profile', 'sim']);
    expect(Object.keys(services).sort()).toEqual(['api', 'redis', 'simulator', 'worker']);
    const redis = services.redis as { image: string; command: string[]; healthcheck: { test: string[] }; volumes: unknown[] };
    expect(redis.image).toBe('redis:7.0');
    expect(redis.command.join(' ')).toContain('--appendonly yes --appendfsync always --maxmemory-policy noeviction');
    expect(redis.healthcheck.test.join(' ')).toContain('redis-cli ping');
    expect(redis.volumes).toHaveLength(1);
    expect((services.api as { command: string[] }).command).toEqual(['node', '--enable-source-maps', 'dist/main.js', '--role', 'api']);
    const worker = services.worker as { command: string[]; deploy: { replicas: number }; environment: Record<string, string> };
    expect(worker.command).toEqual(['node', '--enable-source-maps', 'dist/main.js', '--role', 'worker']);
    expect(worker.environment.NODE_ENV).toBe('production');
    expect(worker.deploy.replicas).toBeGreaterThanOrEqual(2);
    expect(worker.environment.REDIS_URL).toBe('redis://redis:6379');
    expect(worker.environment.MYPAY_URL).toBe('https://simulator:4010/api/init');
    const sim = services.simulator as { command: string[]; profiles: string[]; environment: Record<string, string> };
    expect(sim.command).toEqual(['node', '--enable-source-maps', 'dist/simulator/main.js']);
    expect(sim.profiles).toEqual(['sim']);
    expect(sim.environment.SIM_TLS).toBe('1');
    // Every (api, worker) setting left empty falls back to the schema default: empty values are ignored by loadEnv.
    expect(worker.environment.LEASE_MS).toBe('');
    // tini as PID 1 passes SIGTERM on to node (to the whole group: tini -g).
    for (const name of ['api', 'worker', 'simulator']) {
      const svc = services[name] as { init: boolean; environment: Record<string, string> };
      expect(svc.init, name).toBe(true);
      expect(svc.environment.TINI_KILL_PROCESS_GROUP, name).toBe('1');
    }
  });

  it.skipIf(!hasCompose)('refuses to render without the gateway and the credentials, naming what is missing', () => {
    // An empty env file: a developer's own .env must not fill the gaps.
    const empty = join(mkdtempSync(join(tmpdir(), 'compose-')), 'empty.env');
    writeFileSync(empty, '');
    const r = render(['--env-file', empty]);
    expect(r.status).not.toBe(0);
    expect(r.err).toContain('set MYPAY_URL');
    const partial = render(['--env-file', empty], { MYPAY_URL: 'https://ka.mypay.tw/api/init' });
    expect(partial.status).not.toBe(0);
    expect(partial.err).toMatch(/set (API_KEYS|ADMIN_USER|ADMIN_PASSWORD)/);
    rmSync(dirname(empty), { recursive: true, force: true });
  });
});
