/**
 * A bounded ring buffer of decoded requests and answers, oldest first. Entries keep references to
 * the decoded objects (no copying on the hot path); redaction happens when the journal is read.
 */
import { redactSecrets } from '../domain/redact.js';

export interface JournalEntry {
  seq: number;
  at: number;
  store_uid: string;
  /** `api/…` command, or `-` when the payload could not be decoded. */
  cmd: string;
  /** Decoded `encry_data`; never the envelope, so the merchant key and ciphertext never appear. */
  request: unknown;
  answer: unknown;
  /** HTTP status sent, or the fault that replaced the answer (`reset`, `hang`, …). */
  status: number | string;
  /** The injected fault, if any; `when: 'after'` means the operation was processed first. */
  fault?: { kind: string; when: string };
  /**
   * `api/postransaction` and `api/posrefund` only: whether the gateway acted on the request — created
   * the order (charge) or the refund. `false` for every refusal (B500, repeated order_id included)
   * and for a request a fault dropped unapplied. Absent for other commands.
   */
  acted?: boolean;
}

/** Default journal capacity: enough for a demo or a test file, bounded for a benchmark. */
export const DEFAULT_JOURNAL_SIZE = 10_000;

/** Copies `value` with every secret (the charge's 交易驗証碼 `key`, card numbers, …) redacted at any depth: the one list of src/domain/redact.ts. */
export const redactKeys = (value: unknown): unknown => redactSecrets(value);

export class Journal {
  private readonly buf: (JournalEntry | undefined)[];
  private next = 0;
  private seq = 0;

  constructor(readonly capacity = DEFAULT_JOURNAL_SIZE) {
    this.buf = new Array<JournalEntry | undefined>(Math.max(0, capacity));
  }

  add(entry: Omit<JournalEntry, 'seq'>): void {
    this.seq++;
    if (this.capacity === 0) return;
    (entry as JournalEntry).seq = this.seq;
    this.buf[this.next] = entry as JournalEntry;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Entries oldest first, secrets redacted; `since` keeps only entries with a larger seq. */
  entries(since = 0): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const e = this.buf[(this.next + i) % this.capacity];
      if (e && e.seq > since) out.push({ ...e, request: redactKeys(e.request), answer: redactKeys(e.answer) });
    }
    return out;
  }

  /** Raw (unredacted) entries for in-process tests. */
  raw(): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const e = this.buf[(this.next + i) % this.capacity];
      if (e) out.push(e);
    }
    return out;
  }

  clear(): void {
    this.buf.fill(undefined);
    this.next = 0;
  }
}
