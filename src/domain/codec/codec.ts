/**
 * MYPAY LINK payload codec (spec 附錄四 資料加密方式說明):
 * AES-256-CBC, 32-byte merchant key, random 16-byte IV, PKCS#7, base64(IV ‖ ciphertext).
 *
 * Pure: node:crypto only. Every failure on the way in (base64, length, padding, UTF-8, JSON) raises
 * the same {@link CodecError} with the same message, so a peer cannot tell a padding failure from a
 * format failure (no padding oracle).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MypayError } from '../errors.js';

export const IV_LENGTH = 16;
export const KEY_LENGTH = 32;
const BLOCK = 16;

/** The one error decoding ever raises. Its message never says which step failed. */
export class CodecError extends MypayError {
  readonly code = 'CODEC_ERROR';
  readonly retryable = false;
  readonly httpStatus = 400;
  readonly title = 'Payload could not be decrypted';
  constructor() {
    super('payload could not be decrypted');
    this.name = 'CodecError';
  }
}

/** Raised for a merchant key that is not 32 bytes: a configuration bug, not a wire failure. */
export class KeyLengthError extends MypayError {
  readonly code = 'KEY_LENGTH';
  readonly retryable = false;
  readonly httpStatus = 500;
  readonly title = 'Merchant key of the wrong length';
  constructor(length: number) {
    super(`merchant key must be ${KEY_LENGTH} bytes, got ${length}`);
    this.name = 'KeyLengthError';
  }
}

export function keyBytes(key: string | Buffer): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  if (bytes.length !== KEY_LENGTH) throw new KeyLengthError(bytes.length);
  return bytes;
}

/** Encrypts raw bytes; `iv` is injectable only for known-answer tests. */
export function encryptBytes(plain: Buffer, key: string | Buffer, iv: Buffer = randomBytes(IV_LENGTH)): string {
  if (iv.length !== IV_LENGTH) throw new RangeError(`iv must be ${IV_LENGTH} bytes`);
  const cipher = createCipheriv('aes-256-cbc', keyBytes(key), iv);
  return Buffer.concat([iv, cipher.update(plain), cipher.final()]).toString('base64');
}

/** Encrypts `JSON.stringify(value)`, as the spec's JavaScript and Python samples do. */
export function encryptJson(value: unknown, key: string | Buffer, iv?: Buffer): string {
  return encryptBytes(Buffer.from(JSON.stringify(value), 'utf8'), key, iv);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decrypts base64(IV ‖ ciphertext). A space where a `+` was (a form body decoded twice, or a
 * PHP `urldecode` on top of the form decoding) is mended before decoding.
 */
export function decryptBytes(encoded: string, key: string | Buffer): Buffer {
  const k = keyBytes(key);
  const text = encoded.trim().replace(/ /g, '+').replace(/[\r\n]/g, '');
  if (!BASE64.test(text) || text.length % 4 !== 0) throw new CodecError();
  const raw = Buffer.from(text, 'base64');
  if (raw.length < IV_LENGTH + BLOCK || (raw.length - IV_LENGTH) % BLOCK !== 0) throw new CodecError();
  try {
    const decipher = createDecipheriv('aes-256-cbc', k, raw.subarray(0, IV_LENGTH));
    return Buffer.concat([decipher.update(raw.subarray(IV_LENGTH)), decipher.final()]);
  } catch {
    throw new CodecError();
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decrypts and parses JSON. PHP's `\/` and `\uXXXX` escapes are plain JSON and parse as such. */
export function decryptJson(encoded: string, key: string | Buffer): unknown {
  const bytes = decryptBytes(encoded, key);
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch {
    throw new CodecError();
  }
}

/**
 * JSON as PHP's `json_encode` writes it by default: `/` escaped as `\/` and every non-ASCII
 * character as `\uXXXX` (UTF-16 code units). Used by the simulator and tests to speak like the
 * spec's PHP sample.
 */
export function phpJsonEncode(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
