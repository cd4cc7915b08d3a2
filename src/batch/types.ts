/** Shapes shared by the batch modules. */

/** One problem with one row (row 0: the file as a whole, e.g. its header). */
export interface RowIssue {
  row: number;
  field: string;
  message: string;
}

/** A row as read from the file: column → value (CSV cells are strings; JSON may hold numbers and arrays). */
export interface RawRow {
  row: number;
  values: Record<string, unknown>;
}

/** The planned row as stored in `{tag}:batch:<id>:rows`. */
export interface StoredRow {
  row: number;
  order_id?: string;
  refund_id?: string;
  /** Refund operation id (`refund.<store>.<refund_id>`); absent for rows skipped as invalid. */
  op?: string;
  cost?: number;
  device?: string;
  /** Why the row is not part of the batch. */
  error?: string;
  /** `invalid`: skipped at validation (--skip-invalid); `not_enqueued`: refused when enqueued (a race on the balance). */
  skipped?: RowOnlyState;
}

/** Final row states beyond the operation states: rows that never became an operation. */
export type RowOnlyState = 'invalid' | 'not_enqueued';
