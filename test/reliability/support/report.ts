/**
 * Figures of a scenario: printed as a block (so a CI log shows them) and written to
 * `test-artifacts/reliability/<profile>/<scenario>.json` (so docs/RELIABILITY.md can quote the
 * latest run). Written before the assertions run: a failing scenario still leaves its figures.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROFILE } from './profile.js';

export type Figure = string | number | boolean | null | Figure[] | { [k: string]: Figure };

export function report(scenario: string, figures: Record<string, Figure>): void {
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  const lines = Object.entries(figures).map(([k, v]) => `  ${k.padEnd(width)}  ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`);
  console.log(`\n── reliability › ${scenario} (profile ${PROFILE.name}) ──\n${lines.join('\n')}\n`);
  const dir = join('test-artifacts', 'reliability', PROFILE.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${scenario}.json`), `${JSON.stringify({ scenario, profile: PROFILE.name, at: new Date().toISOString(), figures }, null, 2)}\n`);
}

/** Percentile (nearest rank) of unsorted numbers; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A small seeded PRNG (mulberry32): a scenario's random choices are reproducible from its printed seed. */
export { seededRandom } from '../../../bench/scenarios/support/measure.js';

/** `RELIABILITY_SEED` or a fresh one; printed with the figures. */
export const SEED = Number(process.env.RELIABILITY_SEED ?? Math.floor(Math.random() * 2 ** 31));
