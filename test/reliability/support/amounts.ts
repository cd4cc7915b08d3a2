/**
 * Charge amounts by the simulator's outcome table (docs/SIMULATOR.md): mostly paid, with declines,
 * pending-then-paid, system errors, online payments, settlements, and a few that never end
 * (stays pending, an unknown prc) — those must end `unresolved` at the horizon, by design.
 */
const MIX: [number, string, number][] = [
  // share, outcome, suffix
  [0.8, 'paid', 0],
  [0.05, 'declined', 51],
  [0.05, 'pending_then_paid', 53],
  [0.03, 'system_error_then_paid', 58],
  [0.03, 'online_then_paid', 61],
  [0.02, 'settled', 59],
  [0.01, 'stays_pending', 56],
  [0.01, 'unknown_code', 62],
];

/** Outcomes that never reach a final prc: `unresolved` at the horizon is the designed end. */
export const NEVER_FINAL = new Set([56, 62]);

export function chargeAmount(random: () => number): number {
  const base = 100 * (1 + Math.floor(random() * 20));
  let r = random();
  for (const [share, , suffix] of MIX) {
    if (r < share) return base + suffix;
    r -= share;
  }
  return base;
}

export const suffixOf = (cost: number) => cost % 100;
