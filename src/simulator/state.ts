/**
 * The simulator's state file (option `stateFile`, docs/SIMULATOR.md › State file): the ledger —
 * every order with its prc history, refunds, uid and key, and the next uid — plus the charges and
 * refunds in flight with their remaining steps and due times, so a restarted simulator goes on
 * where it stopped. Only the simulated payments of the simulated merchants are in it.
 *
 * Saved as JSON, atomically (a temporary file in the same directory, then renamed over the file:
 * a reader or a crash sees the old file or the new one, never half of one), at most once per
 * `saveMs` after a change, and on close. At most the newest `maxOrders` orders are kept.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import type { Order } from './ledger.js';
import type { OutcomeStep } from './outcomes.js';

export const STATE_VERSION = 1;
/** Orders kept in the state file by default: the newest 10 000. */
export const DEFAULT_STATE_MAX_ORDERS = 10_000;
/** Saves follow a change by this long at most, and never come closer together. */
export const DEFAULT_STATE_SAVE_MS = 500;

export interface SimState {
  version: typeof STATE_VERSION;
  /** Clock time of the save. */
  savedAt: number;
  /** The uid the next order or refund gets. */
  nextUid: number;
  /** Oldest first. */
  orders: Order[];
  /** Charges whose outcome has steps to come: step `next` of `steps` is due at `dueAt` (clock time, ms). */
  charges: { uid: string; steps: readonly OutcomeStep[]; next: number; dueAt: number }[];
  /** Refunds in progress (prc 200): refund `uid` of order `order` completes at `dueAt`. */
  refunds: { order: string; uid: string; dueAt: number }[];
}

const item = z.looseObject({ name: z.string() });
const refund = z.looseObject({ uid: z.string(), cost: z.number(), prc: z.string(), createdAt: z.number(), finishedAt: z.number().optional() });
const order = z.looseObject({
  store_uid: z.string(),
  order_id: z.string(),
  uid: z.string(),
  key: z.string(),
  device_name: z.string(),
  cost: z.number(),
  currency: z.string(),
  pfn: z.string(),
  user_id: z.string(),
  items: z.array(item),
  echo: z.array(z.string()).length(5),
  prc: z.string(),
  createdAt: z.number(),
  finishedAt: z.number().optional(),
  history: z.array(z.object({ prc: z.string(), at: z.number() })),
  refunds: z.array(refund),
});

const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  savedAt: z.number(),
  nextUid: z.number().int(),
  orders: z.array(order),
  charges: z.array(
    z.object({
      uid: z.string(),
      steps: z.array(z.object({ prc: z.string().min(1), afterMs: z.number().nonnegative().optional() })),
      next: z.number().int().nonnegative(),
      dueAt: z.number(),
    }),
  ),
  refunds: z.array(z.object({ order: z.string(), uid: z.string(), dueAt: z.number() })),
});

export interface ReadState {
  state?: SimState;
  problem?: string;
}

/**
 * Reads a state file, changing nothing. No file: nothing (a first start). A file that is not a
 * state this version can read: `problem` says why (then {@link setAside} it and start empty rather
 * than not at all).
 */
export async function readState(file: string): Promise<ReadState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  let problem: string;
  try {
    const parsed = stateSchema.safeParse(JSON.parse(text));
    if (parsed.success) return { state: parsed.data as unknown as SimState };
    problem = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`)
      .join('; ');
  } catch (err) {
    problem = `not JSON (${(err as Error).message})`;
  }
  return { problem: `${file} is not a simulator state (${problem})` };
}

/** Moves an unreadable state file aside (`<file>.bad-<time>`, kept for a person to look at); answers its new name. */
export async function setAside(file: string, now: number): Promise<string> {
  const aside = `${file}.bad-${now}`;
  await rename(file, aside);
  return basename(aside);
}

/** Writes `text` to `file` through a temporary file in the same directory renamed over it. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

export interface StateFileOptions {
  /** The state to save, read when a save starts (serialized at once). */
  snapshot: () => SimState;
  saveMs?: number;
  /** A save failed (the next change tries again). */
  onError?: (err: Error) => void;
}

/** Debounced, serialized, atomic saves of the simulator's state to one file. */
export class StateFile {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private closed = false;
  private readonly saveMs: number;

  constructor(
    readonly path: string,
    private readonly options: StateFileOptions,
  ) {
    this.saveMs = options.saveMs ?? DEFAULT_STATE_SAVE_MS;
  }

  /** Something changed: save within `saveMs` (one save for all the changes until then). */
  changed(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Reported through onError; the next change tries again.
      this.save().catch(() => {});
    }, this.saveMs);
    // Never keeps a process alive: close() saves what is left.
    this.timer.unref();
  }

  /** Saves now if anything changed since the last save (after a save in progress). */
  save(): Promise<void> {
    const next = this.writing.then(() => this.write());
    this.writing = next.catch(() => {});
    return next;
  }

  /** The last save; no saves after it. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.save().catch(() => {});
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const text = JSON.stringify(this.options.snapshot());
    try {
      await writeAtomically(this.path, text);
    } catch (err) {
      this.dirty = true;
      this.options.onError?.(err as Error);
      throw err;
    }
  }
}
