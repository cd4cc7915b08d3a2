/**
 * The package entry of `mypay-orchestrator` (`import { createProducer } from 'mypay-orchestrator'`):
 * the public, documented API. Everything else under dist/ is internal and may change in any release.
 *
 * - The producer: enqueue charges, refunds and reprints into the orchestrator's Redis, read them back
 *   ({@link createProducer}); its inputs, results and errors.
 * - Callbacks and follow-ups: a MYPAY callback (回報) carries no signature, so it is verified the only
 *   way it can be — by asking the gateway: {@link handleCallbackHint} makes the operation's status
 *   query run now and never changes a state itself; {@link recheckOperation} and
 *   {@link requestRetry} are the explicit recheck and retry.
 * - Events: {@link verifyWebhook} checks a webhook delivery's signature and returns the
 *   {@link MypayEvent}; the producer's `waitForFinal`, `subscribe` and `listEvents` (docs/EVENTS.md).
 * - Records and states: what the producer returns ({@link OperationRecord}) and the closed unions of
 *   kinds and states.
 * - The error family: every error raised on purpose is a {@link MypayError} with `code`,
 *   `retryable` and `httpStatus`.
 * - For those who talk to MYPAY LINK directly: the gateway client ({@link createGatewayClient}) with
 *   its error classes, and the codec (AES-256-CBC payloads, the `POST /api/init` envelope).
 *
 * Workers are not part of the library: run them as the service (`node dist/main.js --role worker`,
 * docs/OPERATIONS.md).
 */

// The producer.
export { createProducer } from './producers/operations.producer.js';
export type { Lane, OrderView, Producer, ProducerOptions, ProducerScope, RefundInput, InvoiceReprintInput, SignatureReprintInput } from './producers/operations.producer.js';
export type { ChargeRequestInput as ChargeInput } from './domain/schemas/requests/charge.js';
export type { EnqueueOutcome, EnqueueResult } from './producers/enqueue.js';
export type { CoreOptions } from './queues/core.js';
export { ChargeNotPaidError, ChargeNotPaidYetError, IdempotencyConflictError, NotCancellableError, RefundBalanceError } from './producers/errors.js';
export { ValidationError } from './domain/validation.js';

// Callbacks (hints, verified by query), explicit recheck and retry.
export { handleCallbackHint, recheckOperation, requestRetry } from './producers/callbacks.js';
export type { CallbackHintOutcome, CallbackHintResult, RetryRequest } from './producers/callbacks.js';
export { refundCompleteCallbackSchema, transactionCompleteCallbackSchema } from './domain/schemas/answers/callbacks.js';
export type { RefundCallback, TransactionCallback } from './domain/schemas/answers/callbacks.js';

// Events: the feed and webhook payload, the verifier for a receiver, the live tail.
export { verifyWebhook, WebhookSignatureError } from './producers/webhook-verify.js';
export { EVENT_TYPES, isEventType } from './domain/events.js';
export type { EventType } from './domain/events.js';
export type { MypayEvent, EventPage } from './store/events.js';
export type { EventFilter, EventTail } from './producers/event-tail.js';

// Records and states.
export type { OperationRecord } from './store/record.js';
export { OPERATION_KINDS, OPERATION_STATES, isFinalState } from './domain/operation/states.js';
export type { OperationKind, OperationState } from './domain/operation/states.js';

// The error family.
export { MypayError, isMypayError, isRetryable } from './domain/errors.js';
export type { ValidationIssue } from './domain/errors.js';

// The gateway client and codec.
export { createGatewayClient, GATEWAY_DEFAULTS } from './gateway/client.js';
export type { GatewayClient, GatewayClientOptions, SendOptions, StoreRef } from './gateway/client.js';
export { createQueryCap } from './gateway/query-cap.js';
export type { QueryCap } from './gateway/query-cap.js';
export type { GatewayAnswer } from './gateway/answer.js';
export {
  GatewayBadAnswerError,
  GatewayConfigError,
  GatewayError,
  GatewayNotDeliveredError,
  GatewayOutcomeUnknownError,
  GatewayRejectedError,
  isGatewayError,
} from './gateway/errors.js';
export type { GatewayErrorKind, GatewayFailure } from './gateway/errors.js';
export {
  COMMANDS,
  CodecError,
  EnvelopeError,
  KeyLengthError,
  decryptJson,
  encodeEnvelope,
  encryptJson,
  envelopeToForm,
  openEnvelope,
  parseEnvelope,
} from './domain/codec/index.js';
export type { Command, Envelope } from './domain/codec/index.js';
