/**
 * Scripted charge outcomes. A charge's outcome is a list of prc steps: the first is applied when the
 * terminal finishes (after the service time), each later one `afterMs` after the previous (default
 * the simulator's follow-up delay). An empty list leaves the order at prc 200 forever.
 *
 * Chosen per order through the control API, else by the amount's last two digits (in the spirit of
 * Adyen's test amounts), else `paid`. The table is documented in docs/SIMULATOR.md.
 */
export interface OutcomeStep {
  prc: string;
  /** Delay after the previous step (the first step: after the service time). */
  afterMs?: number;
}

export const NAMED_OUTCOMES = {
  paid: [{ prc: '250' }],
  settled: [{ prc: '250' }, { prc: '600' }],
  declined: [{ prc: '300' }],
  abandoned: [{ prc: 'A0002' }],
  pending_then_paid: [{ prc: 'A0001' }, { prc: '250' }],
  pending_then_declined: [{ prc: 'A0001' }, { prc: '300' }],
  mismatch: [{ prc: '290' }],
  stays_pending: [],
  data_error: [{ prc: '100' }],
  system_error_then_paid: [{ prc: '400' }, { prc: '250' }],
  online_then_paid: [{ prc: '280' }, { prc: '250' }],
  unknown_code: [{ prc: '265' }],
} as const satisfies Record<string, readonly OutcomeStep[]>;

export type OutcomeName = keyof typeof NAMED_OUTCOMES;
export const OUTCOME_NAMES = Object.keys(NAMED_OUTCOMES) as OutcomeName[];

/** Amount suffix (cost mod 100) → outcome. Any other amount is `paid`. */
export const AMOUNT_SUFFIX_OUTCOMES: Readonly<Record<number, OutcomeName>> = {
  51: 'declined',
  52: 'abandoned',
  53: 'pending_then_paid',
  54: 'pending_then_declined',
  55: 'mismatch',
  56: 'stays_pending',
  57: 'data_error',
  58: 'system_error_then_paid',
  59: 'settled',
  61: 'online_then_paid',
  62: 'unknown_code',
};

/** A scripted outcome: a name, or explicit steps. */
export type OutcomeScript = OutcomeName | readonly OutcomeStep[];

export function outcomeSteps(script: OutcomeScript): readonly OutcomeStep[] {
  return typeof script === 'string' ? NAMED_OUTCOMES[script] : script;
}

export function outcomeForAmount(cost: number): OutcomeName {
  return AMOUNT_SUFFIX_OUTCOMES[Math.abs(Math.trunc(cost)) % 100] ?? 'paid';
}

/** prc codes after which an order is paid and refundable (paid, settled, paid-but-mismatched). */
export const REFUNDABLE_PRC = new Set(['250', '600', '290']);
/** Final failures: the order never charged. */
export const FAILED_PRC = new Set(['300', 'A0002', '100']);
