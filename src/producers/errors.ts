/** Producer-side errors: each names the field at fault, none changed anything in Redis. */
import { MypayError, type ValidationIssue } from '../domain/errors.js';
import { isFinalState, OPERATION_STATES, type OperationState } from '../domain/operation/states.js';
import { ValidationError } from '../domain/validation.js';

/** Same idempotency key, different parameters. HTTP 409; not retryable (the key is taken for good). */
export class IdempotencyConflictError extends MypayError {
  readonly code = 'IDEMPOTENCY_CONFLICT';
  readonly retryable = false;
  readonly httpStatus = 409;
  readonly title = 'Idempotency key reused with other parameters';
  constructor(readonly field: string, readonly operationId: string, readonly existingState: string) {
    super(`${field}: an operation with this key already exists with other parameters (${operationId}, ${existingState})`);
    this.name = 'IdempotencyConflictError';
  }

  override fieldsAtFault(): readonly ValidationIssue[] {
    return [{ field: this.field, message: 'an operation with this key already exists with other parameters' }];
  }
}

/**
 * A refund above what is left to refund on the charge. HTTP 422; not retryable as it is (a refund
 * in flight that fails frees its amount, so the same refund may fit later: ask again then).
 */
export class RefundBalanceError extends ValidationError {
  override readonly code = 'REFUND_EXCEEDS_BALANCE';
  override readonly httpStatus = 422;
  override readonly title = 'Refund exceeds the refundable balance';
  constructor(readonly refundable: number, cost: number) {
    super([{ field: 'cost', message: `refund ${cost} exceeds the refundable balance ${refundable}` }]);
    this.name = 'RefundBalanceError';
  }
}

export const fieldError = (field: string, message: string) => new ValidationError([{ field, message }]);

/**
 * A refund or reprint of one of our charges that ended without a payment (rejected, failed, withdrawn,
 * declined, abandoned, data_error, not_received, …): there is nothing to act on and never will be.
 * HTTP 422, like a refund over the balance; not retryable. The field is the one that named the charge.
 */
export class ChargeNotPaidError extends MypayError {
  readonly code = 'CHARGE_NOT_PAID';
  readonly retryable = false;
  readonly httpStatus = 422;
  readonly title = 'The charge is not paid';
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'ChargeNotPaidError';
  }

  override fieldsAtFault(): readonly ValidationIssue[] {
    return [{ field: this.field, message: this.reason }];
  }
}

/**
 * A refund or reprint of one of our charges still in flight (queued, sending, accepted, pending, …):
 * not paid yet. HTTP 409; retryable — the same request succeeds once the charge is paid.
 */
export class ChargeNotPaidYetError extends MypayError {
  readonly code = 'CHARGE_NOT_PAID_YET';
  readonly retryable = true;
  readonly httpStatus = 409;
  readonly title = 'The charge is not paid yet';
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
    this.name = 'ChargeNotPaidYetError';
  }

  override fieldsAtFault(): readonly ValidationIssue[] {
    return [{ field: this.field, message: this.reason }];
  }
}

/**
 * Why a refund (or reprint) of our charge `order`, in `state` and so without a payment to act on,
 * cannot go ahead — what is true of that state, never "no uid yet" for a charge that will not get one.
 */
export function chargeNotPaid(field: string, order: string, state: string, act: 'refund' | 'reprint'): MypayError {
  const known = (OPERATION_STATES as readonly string[]).includes(state);
  if (known && !isFinalState(state as OperationState)) {
    return new ChargeNotPaidYetError(field, `charge ${order} is ${state}: not paid yet (ask again once it is paid)`);
  }
  switch (state) {
    case 'unresolved':
      return new ChargeNotPaidError(field, `charge ${order} is unresolved (no final answer from the gateway): nothing to ${act} unless a recheck finds it paid`);
    case 'needs_review':
      return new ChargeNotPaidError(field, `charge ${order} needs review: nothing to ${act} until a person settles it`);
    default:
      return new ChargeNotPaidError(field, `charge ${order} was ${state}: nothing to ${act}`);
  }
}

/** `cancel` of an operation that was sent already (or is final): nothing changed. */
export class NotCancellableError extends MypayError {
  readonly code = 'NOT_CANCELLABLE';
  readonly retryable = false;
  readonly httpStatus = 409;
  readonly title = 'Operation cannot be withdrawn';
  constructor(readonly operationId: string, readonly state: string, readonly why: string) {
    super(`operation ${operationId} cannot be withdrawn: ${why} (state ${state})`);
    this.name = 'NotCancellableError';
  }

  override fieldsAtFault(): readonly ValidationIssue[] {
    return [{ field: 'id', message: `${this.why} (state ${this.state})` }];
  }
}
