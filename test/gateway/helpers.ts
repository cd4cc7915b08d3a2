import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { TEST_MERCHANT } from '../../src/config/config.js';

export const STORE = { store_uid: TEST_MERCHANT.storeUid, key: TEST_MERCHANT.key };

export const CHARGE = {
  store_uid: STORE.store_uid,
  device_name: 'A01',
  order_id: 'ORD-0001',
  cost: '10',
  pfn: 'CREDITCARD',
  items: [{ id: '1', name: '商品名稱', cost: '10', amount: '1', total: '10' }],
};

/** Runs `fn`, expects it to reject, returns the error. */
export async function rejectionOf(fn: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** No error text (message, stack, cause chain) ever contains the merchant key or a request ciphertext. */
export function expectNoSecrets(err: unknown, ciphertexts: string[] = []): void {
  let text = '';
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    text += `${String((e as Error).message)}\n${String((e as Error).stack)}\n${JSON.stringify(e)}\n`;
  }
  expect(text).not.toContain(STORE.key);
  for (const c of ciphertexts) expect(text).not.toContain(c.slice(0, 24));
}

/** What a `mypay` CLI run printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const MYPAY_BIN = fileURLToPath(new URL('../../bin/mypay.js', import.meta.url));

/** Runs the `mypay` CLI with only `env` (and PATH, HOME). Async on purpose: an in-test server lives in this process's event loop. */
export function runMypay(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MYPAY_BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}
