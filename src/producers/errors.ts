/** Producer-side errors: each names the field at fault, none changed anything in Redis. */
import { MypayError, type ValidationIssue } from '../domain/errors.js';
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
