/**
 * Maps a transport failure or an HTTP answer to the public error taxonomy (errors.ts). The phase
 * (before/after the request was written) decides NotDelivered vs OutcomeUnknown; the undici / Node
 * error code only refines the `reason`, it never moves a failure across that line.
 */
import { errors as undiciErrors } from 'undici';
import type { Command } from '../domain/codec/index.js';
import {
  GatewayBadAnswerError,
  GatewayConfigError,
  GatewayNotDeliveredError,
  GatewayOutcomeUnknownError,
  type GatewayFailure,
  type NotDeliveredReason,
  type OutcomeUnknownReason,
} from './errors.js';
import { TransportFailure } from './post.js';

const errorCode = (err: unknown): string => {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : '';
};

/** TLS/certificate failures: OpenSSL (`ERR_SSL_*`), Node (`ERR_TLS_*`) and X.509 verify codes. */
const TLS_CODE = /SSL|TLS|CERT|UNABLE_TO_(GET|VERIFY)|SELF_SIGNED|HOSTNAME|ALTNAME/;

function notDeliveredReason(failure: TransportFailure): NotDeliveredReason {
  if (failure.deadline === 'queue') return 'queue_timeout';
  const code = errorCode(failure.error);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return 'connect_timeout';
  if (TLS_CODE.test(code)) return 'tls';
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED') return 'closed';
  return 'network';
}

function outcomeUnknownReason(failure: TransportFailure): OutcomeUnknownReason {
  if (failure.deadline === 'answer') return 'timeout';
  const code = errorCode(failure.error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') return 'timeout';
  if (code === 'UND_ERR_DESTROYED' || code === 'UND_ERR_CLOSED' || code === 'UND_ERR_ABORTED') return 'aborted';
  return 'connection_lost';
}

export function classifyTransportFailure(cmd: Command, host: string, err: unknown): GatewayFailure {
  if (!(err instanceof TransportFailure)) {
    // Synchronous refusal by undici (invalid argument): our bug, nothing was sent.
    return new GatewayConfigError(`${cmd}: request could not be dispatched (${errorCode(err) || 'error'})`);
  }
  if (err.phase === 'before_write') return new GatewayNotDeliveredError(cmd, notDeliveredReason(err), host, { cause: err.error });
  if (err.tooLarge) return new GatewayBadAnswerError(cmd, 'too_large', host, 0);
  // The peer wrote something that is not HTTP/1.1 after our request: an answer, just not a usable one.
  if (err.error instanceof undiciErrors.HTTPParserError || errorCode(err.error).startsWith('HPE_')) return new GatewayBadAnswerError(cmd, 'not_http', host, 0);
  return new GatewayOutcomeUnknownError(cmd, outcomeUnknownReason(err), host, undefined, { cause: err.error });
}

/** HTTP status other than 2xx. 5xx: the gateway (or a proxy) broke mid-way, so possibly acted. */
export function classifyHttpStatus(cmd: Command, host: string, status: number): GatewayFailure | undefined {
  if (status >= 200 && status < 300) return undefined;
  if (status >= 500) return new GatewayOutcomeUnknownError(cmd, 'http_5xx', host, status);
  return new GatewayBadAnswerError(cmd, 'http_status', host, status);
}
