/**
 * The nemesis' CI profile (docs/NEMESIS.md): the real system as separate processes, a mixed workload
 * through the HTTP API, seeded faults, and the checker against the simulator's ledger — on the
 * profile's fixed seeds. A violation fails the test with the seed, the property and the message; the
 * full report (fault timeline around each violation, audit trails) is printed as it runs and written
 * to test-artifacts/nemesis/ci/seed-<seed>/.
 *
 * It belongs to the reliability run (a few minutes, owns the machine): skipped under `npm test`.
 * `NEMESIS_SEEDS=7,8` runs other seeds.
 */
import { describe, expect, it } from 'vitest';
import { runProfile } from '../../nemesis/run.js';

const underUnitSuite = process.env.npm_lifecycle_event === 'test';
const seeds = process.env.NEMESIS_SEEDS?.split(',').map(Number).filter((n) => Number.isInteger(n) && n >= 0);

describe.skipIf(underUnitSuite)('nemesis › CI profile', () => {
  it('finds no violation on its fixed seeds', async () => {
    const { results } = await runProfile({ profile: 'ci', seeds });
    const failed = results
      .filter((r) => r.error || r.violations.length > 0)
      .map((r) => ({ seed: r.seed, error: r.error?.split('\n')[0], violations: r.violations.map((v) => `[${v.property}] ${v.message}`) }));
    expect(failed).toEqual([]);
  }, 10 * 60_000);
});
