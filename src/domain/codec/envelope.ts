/**
 * The `POST /api/init` envelope: `store_uid`, `service` and `encry_data`, the last two encrypted JSON.
 * Parses form-urlencoded and JSON bodies (the spec's PHP/Python/Java/C# samples post forms, its
 * JavaScript sample posts JSON).
 */
import { MypayError } from '../errors.js';
import { CodecError, decryptJson, encryptJson } from './codec.js';

export const COMMANDS = ['api/postransaction', 'api/querydirect', 'api/posrefund', 'api/posreprintinvoice', 'api/posreprintsignature'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Envelope {
  store_uid: string;
  service: string;
  encry_data: string;
}

export interface Service {
  service_name: 'api';
  cmd: Command;
}

/** Raised when a body is not an envelope at all (wrong content type, missing field). Names the field. */
export class EnvelopeError extends MypayError {
  readonly code = 'BAD_ENVELOPE';
  readonly retryable = false;
  readonly httpStatus = 400;
  readonly title = 'Malformed envelope';
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

export function encodeEnvelope(storeUid: string, key: string | Buffer, cmd: Command, data: unknown): Envelope {
  const service: Service = { service_name: 'api', cmd };
  return { store_uid: storeUid, service: encryptJson(service, key), encry_data: encryptJson(data, key) };
}

/** Form body as the samples send it (`http_build_query` / `urlencode`). */
export function envelopeToForm(envelope: Envelope): string {
  return new URLSearchParams({ ...envelope }).toString();
}

/** Parses a raw request body into an envelope; `contentType` decides JSON vs form, sniffing when absent. */
export function parseEnvelope(body: string, contentType = ''): Envelope {
  const trimmed = body.trim();
  let fields: Record<string, unknown>;
  if (/json/i.test(contentType) || (!/form/i.test(contentType) && trimmed.startsWith('{'))) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      fields = parsed as Record<string, unknown>;
    } catch {
      throw new EnvelopeError('body', 'body is not a JSON object');
    }
  } else {
    fields = Object.fromEntries(new URLSearchParams(trimmed));
  }
  const pick = (name: keyof Envelope): string => {
    const v = fields[name];
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string' || v.length === 0) throw new EnvelopeError(name, `${name} is required`);
    return v;
  };
  return { store_uid: pick('store_uid'), service: pick('service'), encry_data: pick('encry_data') };
}

/** Decrypts both encrypted fields. Any failure is the one {@link CodecError}. */
export function openEnvelope(envelope: Envelope, key: string | Buffer): { cmd: Command; data: unknown } {
  const service = decryptJson(envelope.service, key) as Partial<Service> | null;
  if (!service || typeof service !== 'object' || !COMMANDS.includes(service.cmd as Command)) throw new CodecError();
  return { cmd: service.cmd as Command, data: decryptJson(envelope.encry_data, key) };
}
