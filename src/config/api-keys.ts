/**
 * Scoped API keys (`API_KEYS_FILE`, docs/OPERATIONS.md §4): each key with a name, the stores it may
 * act on (a list, or `"*"` for every store) and a role — `write` (enqueue, cancel, recheck, retry,
 * batches, webhook replays) or `read` (look-ups only). A key is given as `key` or, so that the file
 * need not hold the secret, as `key_sha256` (hex of its SHA-256). Only the digest is kept in memory.
 *
 * The file is JSON or YAML (by its extension; without one, JSON when it starts with `{` or `[`):
 * a list of keys, or `{ keys: [...] }`. A bad file refuses the start with one line naming
 * `API_KEYS_FILE`, the entry and the field; no message ever contains a key, nor a piece of the
 * file (parser messages quote the source: only their line and column are kept).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml, YAMLError } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './config.js';

export const API_KEY_ROLES = ['read', 'write'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/** Who a request is, once its key matched: its name, the stores it may act on, its role. */
export interface Principal {
  name: string;
  /** `'*'`: every store of the deployment. */
  stores: '*' | readonly string[];
  role: ApiKeyRole;
}

/** A configured key: the principal and the SHA-256 of the key (never the key itself). */
export interface ApiKeyEntry extends Principal {
  sha256: Buffer;
}

export const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

const storeUid = z
  .union([z.string(), z.number().int().nonnegative()], { error: 'each store must be a store_uid (a string)' })
  .transform(String)
  .pipe(z.string().min(1, 'a store_uid must not be empty').max(16, 'a store_uid has at most 16 characters'));

const entrySchema = z
  .strictObject({
    name: z.string({ error: 'is required: a name for logs and errors' }).regex(/^[A-Za-z0-9][A-Za-z0-9 ._:@/-]{0,63}$/, 'must be 1 to 64 letters, digits, spaces or . _ : @ / - (starting with a letter or digit)'),
    key: z
      .string({ error: 'must be a string' })
      .min(16, 'must be at least 16 characters (e.g. openssl rand -base64 32)')
      .max(512, 'must be at most 512 characters')
      .regex(/^[\x21-\x7E]+$/, 'must be printable ASCII without spaces (it is sent as a Bearer token)')
      .optional(),
    key_sha256: z.string({ error: 'must be a string' }).regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits: the SHA-256 of the key (printf %s "$KEY" | sha256sum)').optional(),
    stores: z.union([z.literal('*'), z.array(storeUid).min(1, 'list at least one store, or "*" for every store')], { error: 'must be "*" (every store) or a list of store_uids' }),
    role: z.enum(API_KEY_ROLES, { error: 'must be "read" (look-ups only) or "write"' }),
  })
  .superRefine((e, ctx) => {
    if (e.key === undefined && e.key_sha256 === undefined) ctx.addIssue({ code: 'custom', path: ['key'], message: 'key or key_sha256 is required' });
    if (e.key !== undefined && e.key_sha256 !== undefined) ctx.addIssue({ code: 'custom', path: ['key'], message: 'give key or key_sha256, not both' });
  });

/** JSON or YAML text → a value; parser errors reduced to where they are (their messages quote the file). */
function parseFile(path: string, text: string): unknown {
  const ext = extname(path).toLowerCase();
  const json = ext === '.json' || (ext !== '.yaml' && ext !== '.yml' && /^\s*[[{]/.test(text));
  if (json) {
    try {
      return JSON.parse(text);
    } catch (err) {
      const at = /position (\d+)/.exec((err as Error).message);
      const where = at ? ` at line ${text.slice(0, Number(at[1])).split('\n').length}` : '';
      throw new ConfigError(`API_KEYS_FILE: not valid JSON${where}`);
    }
  }
  try {
    return parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    if (!(err instanceof YAMLError)) throw new ConfigError('API_KEYS_FILE: not valid YAML');
    const pos = err.linePos?.[0];
    // `stores: *` reads as an alias in YAML: the likeliest mistake, named.
    const hint = /:\s*\*\s*$/m.test(text) ? '; write every store as stores: "*" (quoted)' : '';
    throw new ConfigError(`API_KEYS_FILE: not valid YAML (${err.code}${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}${hint})`);
  }
}

/**
 * Reads and checks `API_KEYS_FILE`. `configuredStores`: the deployment's stores (a key may name no
 * other); `plainKeys`: `API_KEYS`, which no entry may repeat. Throws {@link ConfigError}.
 */
export function loadApiKeysFile(path: string, configuredStores: readonly string[], plainKeys: readonly string[] = []): ApiKeyEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`API_KEYS_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
  }
  const raw = parseFile(path, text);
  const wrapped = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  const list = wrapped ? (raw as Record<string, unknown>).keys : raw;
  if (wrapped && Object.keys(raw as object).some((k) => k !== 'keys')) throw new ConfigError('API_KEYS_FILE: the top level must be a list of keys, or an object with only "keys"');
  if (!Array.isArray(list)) throw new ConfigError('API_KEYS_FILE: must be a list of keys, or { "keys": [...] }');
  if (list.length === 0) throw new ConfigError('API_KEYS_FILE: lists no key');

  const label = (i: number) => {
    const name = (list[i] as { name?: unknown } | null)?.name;
    return `keys[${i}]${typeof name === 'string' && name.length <= 64 ? ` "${name}"` : ''}`;
  };
  const problems: string[] = [];
  const entries: ApiKeyEntry[] = [];
  const indexOf: number[] = [];
  const plain = plainKeys.map(sha256);
  list.forEach((item, i) => {
    const r = entrySchema.safeParse(item);
    if (!r.success) {
      for (const issue of r.error.issues) problems.push(`${label(i)}${issue.path.length ? `.${issue.path.map(String).join('.')}` : ''}: ${issue.message}`);
      return;
    }
    const e = r.data;
    const stores = e.stores === '*' ? '*' : [...new Set(e.stores)];
    if (stores !== '*') for (const s of stores) if (!configuredStores.includes(s)) problems.push(`${label(i)}.stores: ${s} is not a store configured in this deployment (MYPAY_STORES_FILE / MYPAY_STORE_UID)`);
    const digest = e.key !== undefined ? sha256(e.key) : Buffer.from(e.key_sha256!, 'hex');
    const same = entries.findIndex((x) => x.sha256.equals(digest));
    if (same >= 0) problems.push(`${label(i)}: the same key as ${label(indexOf[same]!)} (give each key once)`);
    if (plain.some((p) => p.equals(digest))) problems.push(`${label(i)}: the same key as one of API_KEYS (give each key once)`);
    const named = entries.findIndex((x) => x.name === e.name);
    if (named >= 0) problems.push(`${label(i)}.name: is the name of ${label(indexOf[named]!).replace(/ ".*"$/, '')} too (names must be unique)`);
    entries.push({ name: e.name, stores, role: e.role, sha256: digest });
    indexOf.push(i);
  });
  if (problems.length) throw new ConfigError(`API_KEYS_FILE: ${problems.join('; ')}`);
  return entries;
}
