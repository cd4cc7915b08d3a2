/**
 * API keys and dashboard credentials. Without them the process refuses to start — except in demo
 * mode (no `MYPAY_URL`: the bundled simulator is the gateway), where fresh ones are generated and
 * printed, so `npm start` works out of the box without ever exposing an open dashboard.
 *
 * In demo mode the generated ones can be kept in a file (`<DEMO_DATA_DIR>/demo-credentials.json`,
 * mode 0600) and used again on the next start, so a restart keeps the same key and login. Configured
 * ones (`API_KEYS`, `ADMIN_USER` + `ADMIN_PASSWORD`) always win and are never written; outside demo
 * mode nothing is read or written.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadApiKeysFile, type ApiKeyEntry } from '../config/api-keys.js';
import { ConfigError, loadStores, type Env } from '../config/config.js';

export interface Credentials {
  apiKeys: string[];
  /** Scoped keys from `API_KEYS_FILE`, checked against the configured stores. */
  scopedKeys?: ApiKeyEntry[];
  admin: { user: string; password: string };
  /** What was generated (not configured), to print. */
  generated: { apiKey?: string; admin?: boolean };
  /** Demo mode with a credentials file: the generated ones are kept there (`reused`: read from it at this start). */
  kept?: { file: string; reused: boolean };
  /** The credentials file could not be read or written: the generated ones are for this run only. */
  keepProblem?: string;
}

export interface CredentialOptions {
  /** Demo mode only: keep generated credentials in this file and reuse them on the next start. */
  file?: string;
}

export const DEMO_ADMIN_USER = 'admin';
/** Where demo mode keeps generated credentials, under `DEMO_DATA_DIR`. */
export const DEMO_CREDENTIALS_FILE = 'demo-credentials.json';

const token = (bytes: number) => randomBytes(bytes).toString('base64url');

interface KeptCredentials {
  apiKey?: string;
  admin?: { user: string; password: string };
}

export function resolveCredentials(env: Env, demo: boolean, opts: CredentialOptions = {}): Credentials {
  const file = demo ? opts.file : undefined;
  const scopedKeys = env.API_KEYS_FILE
    ? loadApiKeysFile(
        env.API_KEYS_FILE,
        loadStores(env).map((s) => s.store_uid),
        env.API_KEYS,
      )
    : undefined;
  // Keys chosen in either setting: none generated.
  const wantKey = env.API_KEYS.length === 0 && !scopedKeys;
  const wantAdmin = !env.ADMIN_USER && !env.ADMIN_PASSWORD;
  let keepProblem: string | undefined;
  let stored: KeptCredentials = {};
  if (file && (wantKey || wantAdmin)) {
    try {
      stored = readKept(file);
    } catch (err) {
      keepProblem = `${file}: ${(err as Error).message}`;
    }
  }
  const generated: Credentials['generated'] = {};
  const fresh: KeptCredentials = {};
  let apiKeys = env.API_KEYS;
  if (wantKey) {
    if (!demo) throw new ConfigError('API_KEYS is required (comma-separated Bearer keys) when MYPAY_URL is set, or API_KEYS_FILE (scoped keys)');
    generated.apiKey = stored.apiKey ?? (fresh.apiKey = `demo_${token(24)}`);
    apiKeys = [generated.apiKey];
  }
  let admin: Credentials['admin'];
  if (env.ADMIN_USER && env.ADMIN_PASSWORD) {
    admin = { user: env.ADMIN_USER, password: env.ADMIN_PASSWORD };
  } else if (env.ADMIN_USER || env.ADMIN_PASSWORD) {
    throw new ConfigError('ADMIN_USER and ADMIN_PASSWORD must be set together');
  } else {
    if (!demo) throw new ConfigError('ADMIN_USER and ADMIN_PASSWORD are required for the dashboard when MYPAY_URL is set');
    admin = stored.admin ?? (fresh.admin = { user: DEMO_ADMIN_USER, password: token(18) });
    generated.admin = true;
  }
  const out: Credentials = { apiKeys, admin, generated, ...(scopedKeys ? { scopedKeys } : {}) };
  if (!file || (!wantKey && !wantAdmin) || keepProblem) return keepProblem ? { ...out, keepProblem } : out;
  if (fresh.apiKey === undefined && fresh.admin === undefined) return { ...out, kept: { file, reused: true } };
  try {
    // Whatever the file held for a credential configured at this start stays for the next one.
    writeKept(file, { ...stored, ...fresh });
  } catch (err) {
    return { ...out, keepProblem: `${file}: ${(err as Error).message}` };
  }
  return { ...out, kept: { file, reused: false } };
}

function readKept(file: string): KeptCredentials {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  // Only for its owner, even if it was created or copied otherwise.
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    // not ours to change: used as it is
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const r = (raw ?? {}) as { apiKey?: unknown; admin?: { user?: unknown; password?: unknown } };
  const out: KeptCredentials = {};
  // Anything unusable is replaced by fresh credentials (and the file rewritten).
  if (typeof r.apiKey === 'string' && r.apiKey.length >= 16) out.apiKey = r.apiKey;
  if (typeof r.admin?.user === 'string' && r.admin.user && typeof r.admin.password === 'string' && r.admin.password.length >= 12) {
    out.admin = { user: r.admin.user, password: r.admin.password };
  }
  return out;
}

/** Mode 0600 from the first byte: a temporary file created so, renamed over the file. */
function writeKept(file: string, kept: KeptCredentials): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify({ note: 'Generated by npm start (demo mode). Delete this file for new credentials.', ...kept }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
