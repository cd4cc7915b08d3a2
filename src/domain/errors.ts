/**
 * The one error family. Every error the orchestrator raises on purpose extends {@link MypayError}
 * and says three things a caller acts on:
 * - `code`: stable, upper snake case (`VALIDATION`, `GATEWAY_CONFIG`); over HTTP it is the problem's
 *   `code` in lower case and its type `urn:mypay:problem:<code>`;
 * - `retryable`: may the *same* call, unchanged, succeed if made again? `false` means fix the input or
 *   the configuration first (a bad field, a merchant key of the wrong length); `true` means a later
 *   attempt can succeed as it is (a terminal that was offline, a request that never left);
 * - `httpStatus`: the status the HTTP API answers with (src/api/problem.ts is the one mapper).
 *
 * Errors thrown by libraries (ioredis, express's body parser) are not of this family; the API maps the
 * body parser's by their `type` and answers anything else as a retryable 500.
 */
/** One field at fault: the same `{field, message}` pairs in an HTTP 400, a CSV row report and a log line. */
export interface ValidationIssue {
  /** Dotted path of the field (`cost`, `items.0.name`); `(root)` for the value as a whole; or a header name. */
  field: string;
  message: string;
}

export abstract class MypayError extends Error {
  abstract readonly code: string;
  abstract readonly retryable: boolean;
  abstract readonly httpStatus: number;
  /** The problem's title: short, the same for every instance of a class. */
  abstract readonly title: string;

  /** The fields at fault, each with its message (problem+json `errors[]`). */
  fieldsAtFault(): readonly ValidationIssue[] {
    return [];
  }
}

export function isMypayError(err: unknown): err is MypayError {
  return err instanceof MypayError;
}

/**
 * Whether `err` may be retried unchanged: a {@link MypayError} says so itself; anything else (a lost
 * Redis connection, a bug) is treated as retryable, since nothing of ours proved it would fail again.
 */
export function isRetryable(err: unknown): boolean {
  return err instanceof MypayError ? err.retryable : true;
}
