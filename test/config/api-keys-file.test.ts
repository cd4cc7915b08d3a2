/**
 * `API_KEYS_FILE` (config/api-keys.ts): scoped keys from JSON or YAML, a key given plainly or as its
 * SHA-256, every store or a list, role read or write; a bad file refuses the start with one line
 * naming API_KEYS_FILE, the entry and the field — and never a key.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApiKeysFile, sha256 } from '../../src/config/api-keys.js';
import { ConfigError, envSchema, loadEnv } from '../../src/config/config.js';
import { resolveCredentials } from '../../src/launch/credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'api-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (name: string, text: string) => {
  const path = join(dir, `${n++}-${name}`);
  writeFileSync(path, text);
  return path;
};

const A = '289151880002';
const B = '289151880003';
const STORES = [A, B];
const SECRET = 'pos-taipei-0123456789abcdef';
const HIDDEN = 'reporting-key-fedcba9876543210';
const hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** The ConfigError a load throws (fails the test when there is none). */
function refusal(path: string, plain: string[] = []): ConfigError {
  try {
    loadApiKeysFile(path, STORES, plain);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`${path} was accepted`);
}

describe('API_KEYS_FILE', () => {
  it('is a setting of its own, documented in the schema', () => {
    expect(Object.keys(envSchema.shape)).toContain('API_KEYS_FILE');
    expect(loadEnv({ API_KEYS_FILE: '/run/mypay/api-keys.yaml' }).API_KEYS_FILE).toBe('/run/mypay/api-keys.yaml');
  });

  it('reads JSON: a plain key and a SHA-256, a store list and "*", both roles', () => {
    const path = file('keys.json', JSON.stringify({
      keys: [
        { name: 'pos-taipei', key: SECRET, stores: [A], role: 'write' },
        { name: 'reporting', key_sha256: hex(HIDDEN), stores: '*', role: 'read' },
      ],
    }));
    const keys = loadApiKeysFile(path, STORES);
    expect(keys.map(({ name, stores, role }) => ({ name, stores, role }))).toEqual([
      { name: 'pos-taipei', stores: [A], role: 'write' },
      { name: 'reporting', stores: '*', role: 'read' },
    ]);
    // Only digests are kept: the plain key is not in what was loaded.
    expect(keys[0]!.sha256.equals(sha256(SECRET))).toBe(true);
    expect(keys[1]!.sha256.equals(sha256(HIDDEN))).toBe(true);
    expect(JSON.stringify(keys)).not.toContain(SECRET);
  });

  it('reads YAML (a bare list too), store uids written as numbers included', () => {
    const path = file('keys.yaml', [
      '# scoped keys',
      '- name: pos-taipei',
      `  key: ${SECRET}`,
      '  stores: [289151880002]',
      '  role: write',
      '- name: reporting',
      `  key_sha256: ${hex(HIDDEN).toUpperCase()}`,
      '  stores: "*"',
      '  role: read',
      '',
    ].join('\n'));
    const keys = loadApiKeysFile(path, STORES);
    expect(keys.map(({ name, stores, role }) => ({ name, stores, role }))).toEqual([
      { name: 'pos-taipei', stores: [A], role: 'write' },
      { name: 'reporting', stores: '*', role: 'read' },
    ]);
    expect(keys[1]!.sha256.equals(sha256(HIDDEN))).toBe(true);
    // Without an extension: JSON when it starts with [ or {, else YAML.
    expect(loadApiKeysFile(file('keys', `keys:\n  - {name: k, key: ${SECRET}, stores: [${B}], role: read}\n`), STORES)[0]).toMatchObject({ name: 'k', stores: [B], role: 'read' });
  });

  it.each([
    ['a role that is neither', { name: 'k', key: SECRET, stores: [A], role: 'admin' }, /^API_KEYS_FILE: keys\[0\] "k"\.role: must be "read" \(look-ups only\) or "write"$/],
    ['no key at all', { name: 'k', stores: [A], role: 'read' }, /keys\[0\] "k"\.key: key or key_sha256 is required/],
    ['both forms of the key', { name: 'k', key: SECRET, key_sha256: hex(SECRET), stores: [A], role: 'read' }, /keys\[0\] "k"\.key: give key or key_sha256, not both/],
    ['a short key', { name: 'k', key: 'short', stores: [A], role: 'write' }, /keys\[0\] "k"\.key: must be at least 16 characters/],
    ['a digest that is not 64 hex digits', { name: 'k', key_sha256: SECRET, stores: [A], role: 'write' }, /keys\[0\] "k"\.key_sha256: must be 64 hex digits/],
    ['a store not configured', { name: 'k', key: SECRET, stores: ['999'], role: 'write' }, /keys\[0\] "k"\.stores: 999 is not a store configured in this deployment/],
    ['an empty store list', { name: 'k', key: SECRET, stores: [], role: 'write' }, /keys\[0\] "k"\.stores: /],
    ['an unknown field', { name: 'k', key: SECRET, stores: [A], role: 'write', scope: 'all' }, /keys\[0\] "k": Unrecognized key: "scope"/],
    ['no name', { key: SECRET, stores: [A], role: 'write' }, /keys\[0\]\.name: is required/],
  ])('refuses %s in one line naming the entry and the field, never the key', (_what, entry, line) => {
    const err = refusal(file('bad.json', JSON.stringify([entry])));
    expect(err.lines).toHaveLength(1);
    expect(err.lines[0]).toMatch(line);
    expect(err.message).not.toContain(SECRET);
  });

  it('refuses a key given twice (also as its digest, or also in API_KEYS) and a name used twice', () => {
    const twice = refusal(file('twice.json', JSON.stringify([
      { name: 'one', key: SECRET, stores: [A], role: 'write' },
      { name: 'two', key_sha256: hex(SECRET), stores: [B], role: 'read' },
      { name: 'one', key: HIDDEN, stores: [A], role: 'read' },
    ])));
    expect(twice.lines).toEqual([expect.stringMatching(/^API_KEYS_FILE: keys\[1\] "two": the same key as keys\[0\] "one".*; keys\[2\] "one"\.name: is the name of keys\[0\] too/)]);
    const plain = refusal(file('plain.json', JSON.stringify([{ name: 'one', key: SECRET, stores: [A], role: 'write' }])), [SECRET]);
    expect(plain.lines[0]).toMatch(/keys\[0\] "one": the same key as one of API_KEYS/);
    expect(`${twice.message}${plain.message}`).not.toContain(SECRET);
  });

  it('refuses files it cannot read or parse, quoting nothing of them', () => {
    expect(refusal(join(dir, 'missing.json')).lines).toEqual([`API_KEYS_FILE: cannot read ${join(dir, 'missing.json')} (ENOENT)`]);
    const json = refusal(file('broken.json', `[{"name": "k", "key": "${SECRET}" "role": "write"}]`));
    expect(json.lines).toEqual(['API_KEYS_FILE: not valid JSON at line 1']);
    const yaml = refusal(file('broken.yaml', `- name: k\n  key: ${SECRET}\n  stores: *\n  role: write\n`));
    expect(yaml.lines[0]).toMatch(/^API_KEYS_FILE: not valid YAML \(\w+ at line 3, column \d+; write every store as stores: "\*" \(quoted\)\)$/);
    expect(`${json.message}${yaml.message}`).not.toContain(SECRET);
    expect(refusal(file('empty.json', '[]')).lines).toEqual(['API_KEYS_FILE: lists no key']);
    expect(refusal(file('object.json', '{"key": "x"}')).lines[0]).toMatch(/^API_KEYS_FILE: the top level must be a list of keys/);
  });

  it('is enough without API_KEYS, and refused at start-up through the credentials like any setting', () => {
    const path = file('ok.json', JSON.stringify([{ name: 'pos', key: SECRET, stores: [A], role: 'write' }]));
    const real = { MYPAY_URL: 'https://pay.usecase.cc/api/init', MYPAY_STORE_UID: A, MYPAY_STORE_KEY: 'KYTjd9ACcjGaTK6V3zWmMkyrQS08Ndcx', ADMIN_USER: 'ops', ADMIN_PASSWORD: 'pw' };
    const c = resolveCredentials(loadEnv({ ...real, API_KEYS_FILE: path }), false);
    expect(c.apiKeys).toEqual([]);
    expect(c.scopedKeys?.map((k) => k.name)).toEqual(['pos']);
    // Checked against the configured merchants: B is not one of this deployment's.
    const other = file('other.json', JSON.stringify([{ name: 'pos', key: SECRET, stores: [B], role: 'write' }]));
    expect(() => resolveCredentials(loadEnv({ ...real, API_KEYS_FILE: other }), false)).toThrow(/^API_KEYS_FILE: keys\[0\] "pos"\.stores: 289151880003 is not a store configured/);
    expect(() => resolveCredentials(loadEnv({ ...real }), false)).toThrow(/API_KEYS is required .*or API_KEYS_FILE/);
  });
});
