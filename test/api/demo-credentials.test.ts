/**
 * Demo mode keeps the credentials it generates in `<DEMO_DATA_DIR>/demo-credentials.json` (mode
 * 0600) and uses them again on the next start; configured ones always win; outside demo mode the
 * file is neither read nor written.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config/config.js';
import { resolveCredentials } from '../../src/launch/credentials.js';

const dir = mkdtempSync(join(tmpdir(), 'demo-credentials-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = () => join(dir, `${n++}`, 'demo-credentials.json');
const REAL = { MYPAY_URL: 'https://pay.usecase.cc/api/init', MYPAY_STORE_UID: '289151880002', MYPAY_STORE_KEY: 'KYTjd9ACcjGaTK6V3zWmMkyrQS08Ndcx' };

describe('demo credentials file', () => {
  it('keeps what demo mode generates (mode 0600) and uses it again on the next start', () => {
    const file = freshFile();
    const first = resolveCredentials(loadEnv({}), true, { file });
    expect(first.kept).toEqual({ file, reused: false });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ apiKey: first.apiKeys[0], admin: first.admin });
    const second = resolveCredentials(loadEnv({}), true, { file });
    expect(second).toEqual({ ...first, kept: { file, reused: true } });
    // Deleting the file gives new ones.
    rmSync(file);
    const third = resolveCredentials(loadEnv({}), true, { file });
    expect(third.apiKeys[0]).not.toBe(first.apiKeys[0]);
    expect(third.admin.password).not.toBe(first.admin.password);
  });

  it('configured credentials win and are never written; the kept ones come back once they are unset', () => {
    const file = freshFile();
    const kept = resolveCredentials(loadEnv({}), true, { file });
    const configured = resolveCredentials(loadEnv({ API_KEYS: 'mine-1', ADMIN_USER: 'ops', ADMIN_PASSWORD: 'pw' }), true, { file });
    expect(configured).toEqual({ apiKeys: ['mine-1'], admin: { user: 'ops', password: 'pw' }, generated: {} });
    // Only the login configured: the key is still the kept one, and the file is not touched.
    const before = readFileSync(file, 'utf8');
    const halfway = resolveCredentials(loadEnv({ ADMIN_USER: 'ops', ADMIN_PASSWORD: 'pw' }), true, { file });
    expect(halfway.apiKeys).toEqual(kept.apiKeys);
    expect(halfway.admin).toEqual({ user: 'ops', password: 'pw' });
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(readFileSync(file, 'utf8')).not.toContain('mine-1');
    expect(resolveCredentials(loadEnv({}), true, { file })).toMatchObject({ apiKeys: kept.apiKeys, admin: kept.admin });
  });

  it('outside demo mode the file is neither read nor written', () => {
    const file = freshFile();
    const c = resolveCredentials(loadEnv({ ...REAL, API_KEYS: 'k1', ADMIN_USER: 'ops', ADMIN_PASSWORD: 'pw' }), false, { file });
    expect(c.kept).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    // A kept demo file is not a way around the required settings.
    resolveCredentials(loadEnv({}), true, { file });
    expect(() => resolveCredentials(loadEnv({ ...REAL }), false, { file })).toThrow(/API_KEYS is required/);
  });

  it('an unusable file is replaced by fresh credentials; one that cannot be written leaves them for this run only', () => {
    const file = freshFile();
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, 'not json', { mode: 0o644 });
    const c = resolveCredentials(loadEnv({}), true, { file });
    expect(c.kept).toEqual({ file, reused: false });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ apiKey: c.apiKeys[0] });
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // Its directory cannot be made (a file is in the way): the start goes on, with credentials for this run.
    const blocker = join(dir, `${n++}-not-a-dir`);
    writeFileSync(blocker, '');
    const d = resolveCredentials(loadEnv({}), true, { file: join(blocker, 'demo-credentials.json') });
    expect(d.kept).toBeUndefined();
    expect(d.keepProblem).toMatch(/demo-credentials\.json: .*(ENOTDIR|EEXIST)/);
    expect(d.apiKeys[0]).toMatch(/^demo_/);
  });
});
