/** Producer-side errors: each names the field at fault, none changed anything in Redis. */
import { ValidationError } from '../domain/validation.js';

/** Same idempotency key, different parameters. HTTP 409. */
export class IdempotencyConflictError extends Error {
  readonly code = 'IDEMPOTENCY_CONFLICT';
  readonly retryable = false;
  constructor(readonly field: string, readonly operationId: string, readonly existingState: string) {
    super(`${field}: an operation with this key already exists with other parameters (${operationId}, ${existingState})`);
    this.name = 'IdempotencyConflictError';
  }
}

/** A refund above what is left to refund on the charge. HTTP 422. */
export class RefundBalanceError extends ValidationError {
  constructor(readonly refundable: number, cost: number) {
    super([{ field: 'cost', message: `refund ${cost} exceeds the refundable balance ${refundable}` }]);
    this.name = 'RefundBalanceError';
  }
}

export const fieldError = (field: string, message: string) => new ValidationError([{ field, message }]);
