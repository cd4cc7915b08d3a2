/**
 * Injected faults on `POST /api/init`, scripted for the next N matching requests or by probability,
 * optionally only for one command / store / device.
 *
 * `when` says whether the operation is processed before the fault strikes: `after` means the charge
 * (refund, reprint) happened and only the answer is lost or mangled — the case a client must treat as
 * "outcome unknown", never as "failed". `late` is the extreme of that: no answer at all, and the
 * operation is applied `ms` after the request arrived, when the client may long have given up.
 */
import { z } from 'zod';
import { COMMANDS } from '../domain/codec/index.js';

export const FAULT_KINDS = ['latency', 'hang', 'http5xx', 'reset', 'malformed', 'offline', 'late'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Default `when` per kind. latency: `before` delays, then applies and answers; `after` applies at once
 * and delays only the answer. offline and late ignore it (offline never applies; late always does, `ms` later).
 */
export const DEFAULT_WHEN: Record<FaultKind, 'before' | 'after'> = {
  latency: 'before',
  hang: 'after',
  http5xx: 'before',
  reset: 'after',
  malformed: 'after',
  offline: 'before',
  late: 'after',
};

/** Kinds whose `when` is fixed, whatever the rule says: offline never applies, late always does. */
const FIXED_WHEN: Partial<Record<FaultKind, 'before' | 'after'>> = { offline: 'before', late: 'after' };

/** Default `ms` of a `late` fault: how long after the request the operation is applied. */
export const DEFAULT_LATE_MS = 5_000;

export const faultRuleSchema = z
  .object({
    kind: z.enum(FAULT_KINDS),
    /** Only requests for this command (`api/postransaction`, …). */
    command: z.enum(COMMANDS).optional(),
    store_uid: z.string().optional(),
    device_name: z.string().optional(),
    /** How many matching requests this rule strikes; unset: unlimited (use with `probability`). */
    count: z.number().int().positive().optional(),
    /** Chance per matching request, 0..1. Default 1. */
    probability: z.number().min(0).max(1).default(1),
    /**
     * latency: added delay (default 1 000); hang: how long to hold the socket before destroying it
     * (default: until the client leaves); late: when the operation is applied (default 5 000).
     */
    ms: z.number().int().nonnegative().optional(),
    /** http5xx: the status. Default 502. */
    status: z.number().int().min(500).max(599).default(502),
    when: z.enum(['before', 'after']).optional(),
  })
  .strict();

export type FaultRuleInput = z.input<typeof faultRuleSchema>;
export type FaultRule = z.output<typeof faultRuleSchema> & { id: number; hits: number };
export type Fault = FaultRule & { when: 'before' | 'after' };

export interface FaultTarget {
  cmd: string;
  store_uid: string;
  device_name?: string;
}

export class Faults {
  private rules: FaultRule[] = [];
  private nextId = 1;

  constructor(private readonly random: () => number = Math.random) {}

  add(input: FaultRuleInput): FaultRule {
    const rule: FaultRule = { ...faultRuleSchema.parse(input), id: this.nextId++, hits: 0 };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  remove(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  /** The first rule that matches and fires for this request; consumes one of its `count`. */
  pick(target: FaultTarget): Fault | undefined {
    for (const rule of this.rules) {
      if (rule.command && rule.command !== target.cmd) continue;
      if (rule.store_uid && rule.store_uid !== target.store_uid) continue;
      if (rule.device_name && rule.device_name !== target.device_name) continue;
      if (rule.probability < 1 && this.random() >= rule.probability) continue;
      rule.hits++;
      if (rule.count !== undefined && --rule.count === 0) this.remove(rule.id);
      return { ...rule, when: FIXED_WHEN[rule.kind] ?? rule.when ?? DEFAULT_WHEN[rule.kind] };
    }
    return undefined;
  }
}
