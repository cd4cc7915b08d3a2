/** The results CSV: one line per row of the file, in row order. */
import { stringify } from 'csv-stringify/sync';
import type { RowResult } from './status.js';

export const RESULT_COLUMNS = ['row', 'order_id', 'refund_id', 'state', 'prc', 'refund_uid', 'message'] as const;

export function resultsCsv(results: readonly RowResult[]): string {
  return stringify(results.map((r) => RESULT_COLUMNS.map((c) => neutralise(String(r[c] ?? '')))), { header: true, columns: [...RESULT_COLUMNS] });
}

/**
 * CSV injection (OWASP): a cell starting with = + - @ (or a tab / carriage return) is a formula to a
 * spreadsheet; an apostrophe in front makes it text. Plain negative numbers never occur here.
 */
export function neutralise(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}
