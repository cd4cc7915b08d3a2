/** Batch errors: each says why nothing (more) was written. */
import { MypayError, type ValidationIssue } from '../domain/errors.js';
import type { RowIssue } from './types.js';

/** The file has invalid rows (and --skip-invalid was not given), or no valid row at all. Nothing was written. HTTP 422. */
export class BatchRefusedError extends MypayError {
  readonly code = 'BATCH_INVALID';
  readonly retryable = false;
  readonly httpStatus = 422;
  readonly title = 'Invalid batch: nothing was enqueued';
  constructor(readonly batchId: string, readonly issues: RowIssue[], message?: string) {
    super(message ?? `batch ${batchId} refused: ${issues.length} problem(s) in the file; nothing was enqueued`);
    this.name = 'BatchRefusedError';
  }

  /** Each bad row's issue, with its `row` number beside `field` and `message`. */
  override fieldsAtFault(): readonly ValidationIssue[] {
    return this.issues;
  }
}

/** The batch id already names a batch made from another file. Nothing was written. HTTP 409. */
export class BatchConflictError extends MypayError {
  readonly code = 'BATCH_CONFLICT';
  readonly retryable = false;
  readonly httpStatus = 409;
  readonly title = 'Batch id taken';
  constructor(readonly batchId: string) {
    super(`batch ${batchId} already exists with another file: rerun it with the same file, or choose another batch id`);
    this.name = 'BatchConflictError';
  }

  override fieldsAtFault(): readonly ValidationIssue[] {
    return [{ field: 'batch_id', message: this.message }];
  }
}

/** A batch id that cannot be used. HTTP 400. */
export class BatchIdError extends MypayError {
  readonly code = 'BATCH_ID';
  readonly retryable = false;
  readonly httpStatus = 400;
  readonly title = 'Invalid batch id';
  constructor(readonly batchId: string) {
    super(`batch id ${JSON.stringify(batchId)} must be 1-48 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`);
    this.name = 'BatchIdError';
  }

  override fieldsAtFault(): readonly ValidationIssue[] {
    return [{ field: 'batch_id', message: this.message }];
  }
}

/** `row 3 · cost: must be …` lines, file-level issues first. */
export function formatIssues(issues: readonly RowIssue[], limit = 50): string {
  const lines = issues.slice(0, limit).map((i) => `${i.row === 0 ? 'file' : `row ${i.row}`} · ${i.field}: ${i.message}`);
  if (issues.length > limit) lines.push(`… and ${issues.length - limit} more`);
  return lines.join('\n');
}
