/**
 * Codec (spec 附錄四): known-answer vectors, cross-checked both ways against the `openssl enc` CLI as an
 * independent AES-256-CBC implementation, the wire quirks of the spec's samples, tamper resistance
 * (one error, one message) and fast-check round trips.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TEST_MERCHANT } from '../../src/config/config.js';
import {
  CodecError,
  decryptBytes,
  decryptJson,
  encodeEnvelope,
  encryptBytes,
  encryptJson,
  envelopeToForm,
  KeyLengthError,
  openEnvelope,
  parseEnvelope,
  phpJsonEncode,
} from '../../src/domain/codec/index.js';

const KEY = TEST_MERCHANT.key; // KYTjd9ACcjGaTK6V3zWmMkyrQS08Ndcx, store 289151880002
const KEY_HEX = Buffer.from(KEY, 'utf8').toString('hex');
const IV = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

/** `openssl enc -aes-256-cbc` with a raw key and IV (no salt, no KDF), PKCS#7 padding unless told otherwise. */
function openssl(mode: 'enc' | 'dec', input: Buffer, iv: Buffer, keyHex = KEY_HEX, extra: string[] = []): Buffer {
  const run = spawnSync('openssl', ['enc', '-aes-256-cbc', ...(mode === 'dec' ? ['-d'] : []), '-K', keyHex, '-iv', iv.toString('hex'), ...extra], {
    input,
  });
  if (run.status !== 0) throw new Error(`openssl ${mode} failed: ${run.stderr.toString()}`);
  return run.stdout;
}

const ivOf = (encoded: string): Buffer => Buffer.from(encoded, 'base64').subarray(0, 16);
const bodyOf = (encoded: string): Buffer => Buffer.from(encoded, 'base64').subarray(16);

/** Computed once with `openssl enc -aes-256-cbc -K <hex(KEY)> -iv 000102…0f`, IV prepended, base64. */
const VECTORS = [
  {
    plain: '{"service_name":"api","cmd":"api/postransaction"}',
    encoded: 'AAECAwQFBgcICQoLDA0OD/mNu8S+kxe3bTeZ9KTxxDQ86NGZbdSttFbyUuXi5q+u5Psg4Tsb5Xm+PIJ2nQInRQ0eswvP0h+Yh+pQN2uNluY=',
  },
  {
    plain: '{"store_uid":"289151880002","order_id":"1234567890","cost":10}',
    encoded: 'AAECAwQFBgcICQoLDA0OD3dOSnscX4fbv7QbAZLr5Z/n2pnmK6jzs+dM1AMJINqVJ+bF7htTvw36woLzW8/O8vtesXBBSPSM61b58xfAUg0=',
  },
] as const;

describe('codec known answers', () => {
  it.each(VECTORS)('encrypts $plain to the recorded vector with a fixed IV', ({ plain, encoded }) => {
    expect(encryptJson(JSON.parse(plain), KEY, IV)).toBe(encoded);
    expect(decryptJson(encoded, KEY)).toEqual(JSON.parse(plain));
  });

  it('what we encrypt, openssl decrypts (random IV, payload with non-ASCII)', () => {
    const value = { store_uid: '289151880002', items: [{ id: '1', name: '商品名稱', cost: '10', amount: '1', total: '10' }], cost: 10 };
    const encoded = encryptJson(value, KEY);
    const plain = openssl('dec', bodyOf(encoded), ivOf(encoded));
    expect(plain.toString('utf8')).toBe(JSON.stringify(value));
  });

  it('what openssl encrypts, we decrypt (every padding length 1..16)', () => {
    for (let len = 0; len < 40; len++) {
      const plain = Buffer.from(JSON.stringify('x'.repeat(len)), 'utf8');
      const iv = randomBytes(16);
      const encoded = Buffer.concat([iv, openssl('enc', plain, iv)]).toString('base64');
      expect(decryptBytes(encoded, KEY).equals(plain)).toBe(true);
      expect(encryptBytes(plain, KEY, iv)).toBe(encoded);
    }
  });
});

describe('codec wire quirks of the spec samples', () => {
  it('decodes a PHP json_encode payload (escaped \\/ and \\uXXXX) encrypted by openssl', () => {
    const value = { service_name: 'api', cmd: 'api/postransaction', name: '商品名稱 ☕', url: 'https://x/y' };
    const php = phpJsonEncode(value);
    expect(php).toContain('api\\/postransaction');
    expect(php).toContain('\\u5546\\u54c1');
    expect(php).not.toMatch(/[\u0080-\uffff]/);
    const iv = randomBytes(16);
    const encoded = Buffer.concat([iv, openssl('enc', Buffer.from(php, 'utf8'), iv)]).toString('base64');
    expect(decryptJson(encoded, KEY)).toEqual(value);
  });

  it("decodes base64 whose '+' became ' ' (a form value decoded twice)", () => {
    // Find an IV whose ciphertext contains '+' so the mangling is real.
    let encoded = '';
    for (let i = 0; !encoded.includes('+'); i++) encoded = encryptJson({ n: i }, KEY, randomBytes(16));
    const mangled = encoded.replace(/\+/g, ' ');
    expect(mangled).not.toContain('+');
    expect(decryptJson(mangled, KEY)).toEqual(decryptJson(encoded, KEY));
    expect(decryptJson(`${encoded.slice(0, 20)}\r\n${encoded.slice(20)}\n`, KEY)).toEqual(decryptJson(encoded, KEY));
  });

  it('parses form-urlencoded and JSON envelopes of the test merchant', () => {
    const data = { store_uid: TEST_MERCHANT.storeUid, order_id: '1234567890', cost: '10', device_name: 'A01' };
    const envelope = encodeEnvelope(TEST_MERCHANT.storeUid, KEY, 'api/querydirect', data);
    const form = envelopeToForm(envelope);
    expect(form).toMatch(/^store_uid=289151880002&service=.+&encry_data=.+$/);
    for (const [body, type] of [
      [form, 'application/x-www-form-urlencoded'],
      [form, ''], // sniffed
      [JSON.stringify(envelope), 'application/json'],
      [JSON.stringify(envelope), ''], // sniffed
      [JSON.stringify({ ...envelope, store_uid: 289151880002 }), 'application/json; charset=utf-8'], // number store_uid
    ] as const) {
      const parsed = parseEnvelope(body, type);
      expect(parsed.store_uid).toBe(TEST_MERCHANT.storeUid);
      expect(openEnvelope(parsed, KEY)).toEqual({ cmd: 'api/querydirect', data });
    }
  });
});

describe('codec tampering: one error, one message', () => {
  const good = encryptJson({ order_id: '1' }, KEY, IV);
  const raw = Buffer.from(good, 'base64');
  const b64 = (b: Buffer) => b.toString('base64');
  const otherKey = 'A'.repeat(32);
  // A block whose decryption ends in 0x00: invalid PKCS#7 for any key-correct decrypt.
  const badPaddingBody = openssl('enc', Buffer.alloc(16, 0), IV, KEY_HEX, ['-nopad']);
  const cases: Array<[string, string, string]> = [
    ['bad base64', '!!!not base64!!!', KEY],
    ['base64 with bad length', good.slice(0, -1), KEY],
    ['short (IV only)', b64(raw.subarray(0, 16)), KEY],
    ['empty', '', KEY],
    ['wrong length (IV + 17 bytes)', b64(Buffer.concat([raw, Buffer.alloc(1)]).subarray(0, 33)), KEY],
    ['wrong key', good, otherKey],
    ['bad padding', b64(Buffer.concat([IV, badPaddingBody])), KEY],
    ['truncated block', b64(raw.subarray(0, raw.length - 16)), KEY],
    ['not JSON', encryptBytes(Buffer.from('not json at all'), KEY, IV), KEY],
    ['not UTF-8', encryptBytes(Buffer.from([0x22, 0xff, 0xfe, 0x22]), KEY, IV), KEY],
  ];

  it.each(cases)('%s → CodecError', (_name, encoded, key) => {
    let caught: unknown;
    try {
      decryptJson(encoded, key);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CodecError);
    expect(caught).toMatchObject({ code: 'CODEC_ERROR', retryable: false, message: 'payload could not be decrypted' });
  });

  it('every tampering yields the identical message (no padding oracle)', () => {
    const messages = new Set(
      cases.map(([, encoded, key]) => {
        try {
          decryptJson(encoded, key);
          return 'no error';
        } catch (err) {
          return `${(err as Error).name}:${(err as Error).message}`;
        }
      }),
    );
    expect([...messages]).toEqual(['CodecError:payload could not be decrypted']);
  });

  it('an envelope whose service is not a known command is the same CodecError', () => {
    const envelope = encodeEnvelope(TEST_MERCHANT.storeUid, KEY, 'api/querydirect', {});
    expect(() => openEnvelope({ ...envelope, service: encryptJson({ service_name: 'api', cmd: 'api/drop' }, KEY) }, KEY)).toThrow(CodecError);
    expect(() => openEnvelope({ ...envelope, encry_data: envelope.encry_data.slice(4) }, KEY)).toThrow(CodecError);
  });

  it('a key that is not 32 bytes is a KeyLengthError (configuration), never a CodecError, and does not echo the key', () => {
    const short = 'short-secret-key';
    expect(() => encryptJson({}, short)).toThrow(KeyLengthError);
    try {
      decryptJson(good, short);
    } catch (err) {
      expect(err).toBeInstanceOf(KeyLengthError);
      expect((err as Error).message).not.toContain(short);
    }
  });
});

describe('codec properties (fast-check)', () => {
  const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));
  const normalize = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

  it('decryptJson(encryptJson(v, k), k) = v for any JSON value and any 32-byte key', () => {
    fc.assert(
      fc.property(fc.jsonValue(), key32, (value, key) => {
        expect(decryptJson(encryptJson(value, key), key)).toEqual(normalize(value));
      }),
      { numRuns: 300 },
    );
  });

  it('the PHP rendering of any JSON value decodes to the same value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), key32, (value, key) => {
        const encoded = encryptBytes(Buffer.from(phpJsonEncode(value), 'utf8'), key);
        expect(decryptJson(encoded, key)).toEqual(normalize(value));
      }),
      { numRuns: 300 },
    );
  });

  it('ciphertext is IV-randomised and of the padded length', () => {
    fc.assert(
      fc.property(fc.string(), key32, (s, key) => {
        const plain = Buffer.from(JSON.stringify(s), 'utf8');
        const a = encryptBytes(plain, key);
        const b = encryptBytes(plain, key);
        expect(a).not.toBe(b);
        expect(Buffer.from(a, 'base64').length).toBe(16 + (Math.floor(plain.length / 16) + 1) * 16);
      }),
      { numRuns: 100 },
    );
  });

  it('any truncation of a valid payload is rejected with CodecError', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, cut) => {
        const raw = Buffer.from(encryptJson(value, KEY), 'base64');
        const keep = cut % raw.length;
        fc.pre(keep % 16 !== 0 || keep < 32);
        expect(() => decryptJson(raw.subarray(0, keep).toString('base64'), KEY)).toThrow(CodecError);
      }),
      { numRuns: 200 },
    );
  });
});
