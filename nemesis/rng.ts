/**
 * The nemesis' only source of randomness: a seeded PRNG (mulberry32), forked per purpose so the
 * workload plan and the fault schedule do not shift each other when one of them draws more numbers.
 * Nothing in the nemesis calls Math.random: the same seed replays the same plan.
 */
import { seededRandom } from '../bench/scenarios/support/measure.js';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A value from `[value, weight]` pairs, by weight. */
  weighted<T>(table: readonly (readonly [T, number])[]): T;
  /** A new generator derived from this seed and a label (independent streams). */
  fork(label: string): Rng;
}

const mulberry32 = seededRandom;

/** FNV-1a of a string: the label part of a fork. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function createRng(seed: number): Rng {
  const next = mulberry32(seed);
  const rng: Rng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)]!;
    },
    weighted: (table) => {
      const total = table.reduce((s, [, w]) => s + w, 0);
      let x = next() * total;
      for (const [v, w] of table) {
        x -= w;
        if (x < 0) return v;
      }
      return table[table.length - 1]![0];
    },
    fork: (label) => createRng((hash(label) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0),
  };
  return rng;
}
