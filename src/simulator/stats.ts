/** Counters behind `GET /_sim/stats` (docs/SIMULATOR.md: `busyViolations`, `chargePosts`, and more). */
export class Stats {
  /** Operations (charge, refund, reprint) sent to a terminal that was busy. */
  busyViolations = 0;
  /** Busy violations with what was sent and what the terminal was doing, newest last (bounded). */
  readonly busyViolationLog: { at: number; store_uid: string; device_name: string; cmd: string; busyWith: string }[] = [];
  /** order_id → charge POSTs accepted (B200) for it. */
  chargePosts: Record<string, number> = Object.create(null) as Record<string, number>;
  /** order_id → charge POSTs rejected because the order_id already existed. */
  duplicateChargePosts: Record<string, number> = Object.create(null) as Record<string, number>;
  /** command → requests received (decoded), plus `undecodable`. */
  requests: Record<string, number> = Object.create(null) as Record<string, number>;
  /** answer code → count (`B200`, `B500`, or the fault kind when a fault replaced the answer). */
  answers: Record<string, number> = Object.create(null) as Record<string, number>;
  /** fault kind → times injected. */
  faults: Record<string, number> = Object.create(null) as Record<string, number>;
  callbacks = { sent: 0, failed: 0 };
  /** `late` faults: commands waiting to be applied, and applied (after their client got no answer). */
  late = { pending: 0, applied: 0 };

  static readonly VIOLATION_LOG_SIZE = 1_000;

  bump(map: Record<string, number>, key: string): void {
    map[key] = (map[key] ?? 0) + 1;
  }

  violation(entry: Stats['busyViolationLog'][number]): void {
    this.busyViolations++;
    this.busyViolationLog.push(entry);
    if (this.busyViolationLog.length > Stats.VIOLATION_LOG_SIZE) this.busyViolationLog.shift();
  }
}
