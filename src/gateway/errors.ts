/**
 * Gateway error taxonomy (stripe-node `src/Error.ts` style): every failure of one POST maps to exactly
 * one class, and a worker switches on `kind`.
 *
 * The line that matters is "never sent" vs "may have been acted on":
 * - `not_delivered`: failed before any request byte was written (DNS, refused, connect timeout, TLS
 *   handshake, pool queue deadline). The gateway cannot have seen it: resending is safe.
 * - `outcome_unknown`: bytes were written and no complete answer came back (answer timeout, reset,
 *   closed socket, HTTP 5xx). A charge may be running on the terminal: query before resending.
 * - `bad_answer`: an answer came back but is not a MYPAY answer (HTTP 4xx/3xx, not JSON, wrong shape,
 *   unknown `code`). We cannot tell what the gateway did, so it is outcome-unknown for money.
 * - `rejected`: a well-formed `B500`. Per spec 附錄二 B500 means "資料異常不予以處理" (not processed).
 *
 * `retryable` answers exactly one question: "may the *same* request be sent again without first asking
 * the gateway (querydirect) what happened?". It is therefore `false` for every money-moving command
 * (`postransaction`, `posrefund`) and for reprints (a resend prints twice) whenever the outcome is
 * unknown, and `true` for the read-only `querydirect`.
 *
 * Every class is a {@link MypayError} (src/domain/errors.ts): `httpStatus` is what an HTTP edge in
 * front of the gateway would answer (502/503/504 for the gateway's failures, 500 for our own settings).
 *
 * Messages carry the command, host and a short reason; never the merchant key, `encry_data` or the
 * request body.
 */
import type { Command } from '../domain/codec/index.js';
import { MypayError } from '../domain/errors.js';

export type GatewayErrorKind = 'config' | 'not_delivered' | 'outcome_unknown' | 'rejected' | 'bad_answer';

/** Commands whose resend cannot move money or print paper: safe to repeat when the outcome is unknown. */
const READ_ONLY: ReadonlySet<Command> = new Set<Command>(['api/querydirect']);
export const isReadOnlyCommand = (cmd: Command): boolean => READ_ONLY.has(cmd);

export abstract class GatewayError extends MypayError {
  abstract readonly kind: GatewayErrorKind;
}

/**
 * The client was built (or called) with settings it refuses: raised before any connection. Never
 * retryable: the same call fails the same way until the settings change (the worker's policy makes
 * the operation final, src/domain/operation/policy.ts).
 */
export class GatewayConfigError extends GatewayError {
  readonly kind = 'config';
  readonly code = 'GATEWAY_CONFIG';
  readonly retryable = false;
  readonly httpStatus = 500;
  readonly title = 'Gateway settings refused';
  constructor(message: string) {
    super(message);
    this.name = 'GatewayConfigError';
  }
}

/** `query_cap`: a status query held back by the per-store cap on queries (query-cap.ts), never sent. */
export type NotDeliveredReason = 'dns' | 'refused' | 'connect_timeout' | 'tls' | 'queue_timeout' | 'closed' | 'network' | 'query_cap';

/** Failed before the request could reach the gateway: always safe to resend. `detail` is added to the message in parentheses. */
export class GatewayNotDeliveredError extends GatewayError {
  readonly kind = 'not_delivered';
  readonly code = 'GATEWAY_NOT_DELIVERED';
  readonly retryable = true;
  readonly httpStatus = 503;
  readonly title = 'Gateway not reached';
  constructor(readonly cmd: Command, readonly reason: NotDeliveredReason, host: string, options?: { cause?: unknown; detail?: string }) {
    super(`${cmd} not delivered to ${host}: ${reason}${options?.detail ? ` (${options.detail})` : ''}${causeCode(options?.cause)}`, options);
    this.name = 'GatewayNotDeliveredError';
  }
}

export type OutcomeUnknownReason = 'timeout' | 'connection_lost' | 'http_5xx' | 'aborted';

/** The request may have reached the gateway and may have been acted on. */
export class GatewayOutcomeUnknownError extends GatewayError {
  readonly kind = 'outcome_unknown';
  readonly code = 'GATEWAY_OUTCOME_UNKNOWN';
  readonly retryable: boolean;
  readonly httpStatus = 504;
  readonly title = 'Gateway outcome unknown';
  constructor(
    readonly cmd: Command,
    readonly reason: OutcomeUnknownReason,
    host: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`${cmd} outcome unknown at ${host}: ${reason}${status ? ` (HTTP ${status})` : ''}${causeCode(options?.cause)}`, options);
    this.name = 'GatewayOutcomeUnknownError';
    this.retryable = isReadOnlyCommand(cmd);
  }
}

export type RejectionReason = 'terminal_offline' | 'terminal_busy' | 'duplicate_order' | 'invalid_data' | 'unknown_store' | 'other';

/**
 * A `B500` answer. The gateway did not process the request, so `retryable` is true where a later
 * resend can succeed unchanged (terminal offline or busy) and false where the request itself is wrong.
 */
export class GatewayRejectedError extends GatewayError {
  readonly kind = 'rejected';
  readonly code = 'GATEWAY_REJECTED';
  readonly retryable: boolean;
  readonly httpStatus = 502;
  readonly title = 'Rejected by the gateway';
  constructor(readonly cmd: Command, readonly reason: RejectionReason, readonly gatewayMessage: string) {
    super(`${cmd} rejected (B500, ${reason}): ${gatewayMessage}`);
    this.name = 'GatewayRejectedError';
    this.retryable = reason === 'terminal_offline' || reason === 'terminal_busy';
  }
}

export type BadAnswerReason = 'http_status' | 'not_http' | 'not_json' | 'bad_shape' | 'unknown_code' | 'too_large';

/** Something answered, but not with a MYPAY answer. Outcome unknown for money-moving commands. */
export class GatewayBadAnswerError extends GatewayError {
  readonly kind = 'bad_answer';
  readonly code = 'GATEWAY_BAD_ANSWER';
  readonly retryable: boolean;
  readonly httpStatus = 502;
  readonly title = 'Bad answer from the gateway';
  constructor(readonly cmd: Command, readonly reason: BadAnswerReason, host: string, readonly status: number, detail = '') {
    super(`${cmd} bad answer from ${host}: ${reason} (HTTP ${status})${detail ? `: ${detail}` : ''}`);
    this.name = 'GatewayBadAnswerError';
    this.retryable = isReadOnlyCommand(cmd);
  }
}

export type GatewayFailure =
  | GatewayConfigError
  | GatewayNotDeliveredError
  | GatewayOutcomeUnknownError
  | GatewayRejectedError
  | GatewayBadAnswerError;

export function isGatewayError(err: unknown): err is GatewayFailure {
  return err instanceof GatewayError;
}

function causeCode(cause: unknown): string {
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? ` [${code}]` : '';
}
