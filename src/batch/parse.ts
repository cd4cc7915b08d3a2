/**
 * Reads a batch file (CSV with a header line, or JSON) into raw rows. Structural problems — no
 * header, missing or unknown columns, ragged lines, bad JSON — are reported as issues of row 0 (the
 * file) or of the row concerned; field values are checked later (validate.ts).
 *
 * Rows are numbered from 1 after the header (CSV) or by position in the array (JSON).
 */
import { createHash } from 'node:crypto';
import { parse as parseCsv, CsvError } from 'csv-parse/sync';
import type { RawRow, RowIssue } from './types.js';

/** Every column a batch file may have. */
export const COLUMNS = [
  'order_id', 'uid', 'key', 'cost', 'device_name', 'items', 'invoice_state', 'receipt_type', 'refund_id',
  /** A finance reference: part of the key a row's refund id is derived from (refund-ids.ts). */
  'refund_ref',
  /** The original amount of a charge not made through us (the status follow-up queries with it). */
  'order_cost',
  /** Needed only when several merchants are configured. */
  'store_uid',
] as const;
export type Column = (typeof COLUMNS)[number];
const KNOWN = new Set<string>(COLUMNS);

export type BatchFormat = 'csv' | 'json';

export interface ParsedFile {
  rows: RawRow[];
  issues: RowIssue[];
  /** sha256 of the file's bytes: a rerun of a batch id must present the same file (refund ids do not depend on it). */
  hash: string;
}

export function fileHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `json` when the text starts with `[` or `{`, else `csv`. */
export function sniffFormat(text: string): BatchFormat {
  const first = text.replace(/^\uFEFF/, '').trimStart()[0];
  return first === '[' || first === '{' ? 'json' : 'csv';
}

function checkColumns(columns: readonly string[]): RowIssue[] {
  const issues: RowIssue[] = [];
  const have = new Set(columns);
  for (const c of columns) if (!KNOWN.has(c)) issues.push({ row: 0, field: c, message: `unknown column (known: ${COLUMNS.join(', ')})` });
  if (!have.has('cost')) issues.push({ row: 0, field: 'cost', message: 'column missing' });
  if (!have.has('order_id') && !(have.has('uid') && have.has('key'))) {
    issues.push({ row: 0, field: 'order_id', message: 'column missing: give order_id, or uid and key' });
  }
  return issues;
}

export function parseCsvText(text: string): ParsedFile {
  const hash = fileHash(text);
  let records: string[][];
  try {
    records = parseCsv(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (err) {
    const line = err instanceof CsvError && typeof (err as CsvError & { lines?: number }).lines === 'number' ? ` (line ${(err as CsvError & { lines: number }).lines})` : '';
    return { rows: [], hash, issues: [{ row: 0, field: '(file)', message: `not readable as CSV${line}: ${(err as Error).message}` }] };
  }
  const [header, ...body] = records;
  if (!header || header.length === 0) return { rows: [], hash, issues: [{ row: 0, field: '(file)', message: 'empty file: a header line and at least one row are needed' }] };
  const columns = header.map((h) => h.trim().toLowerCase());
  const issues = checkColumns(columns);
  const dup = columns.filter((c, i) => columns.indexOf(c) !== i);
  for (const c of new Set(dup)) issues.push({ row: 0, field: c, message: 'column appears more than once' });
  if (body.length === 0) issues.push({ row: 0, field: '(file)', message: 'no rows after the header' });
  const rows: RawRow[] = [];
  body.forEach((cells, i) => {
    const row = i + 1;
    if (cells.length !== columns.length) {
      issues.push({ row, field: '(row)', message: `has ${cells.length} fields, the header has ${columns.length}` });
      return;
    }
    const values: Record<string, unknown> = {};
    columns.forEach((c, j) => {
      const cell = cells[j];
      if (cell !== undefined && cell !== '') values[c] = cell;
    });
    rows.push({ row, values });
  });
  return { rows, issues, hash };
}

/** JSON: an array of row objects, or `{ "rows": [...] }`. */
export function parseJsonValue(value: unknown, hash: string): ParsedFile {
  const list = Array.isArray(value) ? value : value && typeof value === 'object' && Array.isArray((value as { rows?: unknown }).rows) ? (value as { rows: unknown[] }).rows : null;
  if (!list) return { rows: [], hash, issues: [{ row: 0, field: '(file)', message: 'JSON must be an array of rows or an object with a "rows" array' }] };
  if (list.length === 0) return { rows: [], hash, issues: [{ row: 0, field: '(file)', message: 'no rows' }] };
  const issues: RowIssue[] = [];
  const rows: RawRow[] = [];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const row = i + 1;
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      issues.push({ row, field: '(row)', message: 'must be an object' });
      return;
    }
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(item as Record<string, unknown>)) {
      if (!KNOWN.has(k)) {
        issues.push({ row, field: k, message: 'is not a column of a refund batch' });
        continue;
      }
      seen.add(k);
      if (v !== null && v !== undefined && v !== '') values[k] = v;
    }
    rows.push({ row, values });
  });
  // The header check of a CSV, applied to the keys used anywhere in the file.
  for (const issue of checkColumns([...seen])) if (issue.message.startsWith('column missing')) issues.unshift(issue);
  return { rows, issues, hash };
}

export function parseJsonText(text: string): ParsedFile {
  const hash = fileHash(text);
  try {
    return parseJsonValue(JSON.parse(text.replace(/^\uFEFF/, '')), hash);
  } catch (err) {
    return { rows: [], hash, issues: [{ row: 0, field: '(file)', message: `not valid JSON: ${(err as Error).message}` }] };
  }
}

export function parseBatchText(text: string, format: BatchFormat = sniffFormat(text)): ParsedFile {
  return format === 'json' ? parseJsonText(text) : parseCsvText(text);
}
