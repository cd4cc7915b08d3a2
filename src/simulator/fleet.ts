/**
 * The terminal fleet: per store, terminals that are idle, busy (one operation at a time) or offline.
 * A terminal is busy from an accepted charge/refund/reprint until its service time has passed.
 */
export type TerminalState = 'idle' | 'busy' | 'offline';
export type Operation = 'charge' | 'refund' | 'reprint';

export interface Terminal {
  device_name: string;
  online: boolean;
  /** The operation occupying the terminal, if any. */
  busy?: { op: Operation; ref: string; since: number; until: number };
  /** Operations accepted by this terminal so far. */
  operations: number;
}

export const terminalState = (t: Terminal): TerminalState => (!t.online ? 'offline' : t.busy ? 'busy' : 'idle');

/**
 * `SIM_DEVICES`: a count (terminals A01, A02, … zero-padded to the count's width, at least two
 * digits) or a comma-separated list of names.
 */
export function deviceNames(spec: string | number | readonly string[]): string[] {
  if (Array.isArray(spec)) return [...spec];
  const text = String(spec).trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    const width = Math.max(2, String(n).length);
    return Array.from({ length: n }, (_, i) => `A${String(i + 1).padStart(width, '0')}`);
  }
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

export class Fleet {
  private readonly stores = new Map<string, Map<string, Terminal>>();

  add(store: string, names: Iterable<string>, online = true): void {
    let fleet = this.stores.get(store);
    if (!fleet) this.stores.set(store, (fleet = new Map()));
    for (const name of names) {
      const existing = fleet.get(name);
      if (existing) existing.online = online;
      else fleet.set(name, { device_name: name, online, operations: 0 });
    }
  }

  get(store: string, device: string): Terminal | undefined {
    return this.stores.get(store)?.get(device);
  }

  setOnline(store: string, device: string, online: boolean): boolean {
    const t = this.get(store, device);
    if (!t) return false;
    t.online = online;
    return true;
  }

  /** Marks the terminal busy until `until`; the caller checked it is idle. */
  occupy(t: Terminal, op: Operation, ref: string, now: number, until: number): void {
    t.busy = { op, ref, since: now, until };
    t.operations++;
  }

  release(t: Terminal, ref: string): void {
    if (t.busy?.ref === ref) t.busy = undefined;
  }

  /** `{store: {device: state}}` for stats. */
  states(): Record<string, Record<string, TerminalState>> {
    const out: Record<string, Record<string, TerminalState>> = {};
    for (const [store, fleet] of this.stores) {
      const s: Record<string, TerminalState> = (out[store] = {});
      for (const [name, t] of fleet) s[name] = terminalState(t);
    }
    return out;
  }

  clear(): void {
    this.stores.clear();
  }
}
