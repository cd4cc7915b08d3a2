/**
 * Validation failures as one error class, with each offending field named by its dotted path
 * (`items.0.name`), so an HTTP 400, a CSV row report and a log line all say the same thing.
 */
import type { z } from 'zod';
import { MypayError, type ValidationIssue } from './errors.js';

export type { ValidationIssue } from './errors.js';

/** Bad input: nothing was sent, nothing changed, retrying the same input fails the same way. HTTP 400. */
export class ValidationError extends MypayError {
  readonly code: string = 'VALIDATION';
  readonly retryable = false;
  readonly httpStatus: number = 400;
  readonly title: string = 'Invalid request';
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('; ') || 'invalid value');
    this.name = 'ValidationError';
    this.issues = issues;
  }

  override fieldsAtFault(): readonly ValidationIssue[] {
    return this.issues;
  }
}

const ROOT = '(root)';

function joinPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? ROOT : path.map((p) => String(p)).join('.');
}

function messageOf(issue: z.core.$ZodIssue): string {
  // zod's wording for a missing key ("Invalid input: expected string, received undefined") hides
  // the one thing the caller needs to know.
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return 'is required';
  return issue.message;
}

/** zod issues → our issues: one per unknown key, the rest one per issue. */
export function toValidationIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.flatMap((issue): ValidationIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: joinPath([...issue.path, key]), message: 'is not a field of this payload' }));
    }
    return [{ field: joinPath(issue.path), message: messageOf(issue) }];
  });
}

/** Wraps a ZodError. */
export function fromZodError(error: z.ZodError): ValidationError {
  return new ValidationError(toValidationIssues(error.issues));
}

/** Parses or throws a {@link ValidationError}; returns the schema's (normalised) output. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZodError(result.error);
  return result.data;
}
