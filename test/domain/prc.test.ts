import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyPrc, isFinalPrc, isKnownPrc, PRC_TABLE, PRCS, prcLabel, type PrcClass } from '../../src/domain/index.js';

describe('classifyPrc (附錄二 交易狀態代碼)', () => {
  const table: [string | number | null | undefined, PrcClass, boolean][] = [
    ['250', 'success', true],
    [250, 'success', true],
    ['600', 'success', true],
    ['300', 'failure', true],
    ['A0002', 'failure', true],
    ['100', 'failure', true],
    ['290', 'review', true],
    ['230', 'refunded', true],
    ['220', 'cancelled', true],
    ['200', 'pending', false],
    ['280', 'pending', false],
    ['A0001', 'pending', false],
    ['a0001', 'pending', false],
    ['400', 'pending', false],
    // Codes other gateways of the vendor send, absent from this spec's table.
    ['260', 'unknown', false],
    ['265', 'unknown', false],
    ['270', 'unknown', false],
    ['282', 'unknown', false],
    ['284', 'unknown', false],
    ['380', 'unknown', false],
    // Answer codes are not transaction states.
    ['B200', 'unknown', false],
    ['B500', 'unknown', false],
    ['', 'unknown', false],
    [null, 'unknown', false],
    [undefined, 'unknown', false],
    ['2500', 'unknown', false],
    ['25', 'unknown', false],
  ];

  it.each(table)('%j is %s (final: %s)', (prc, cls, final) => {
    expect(classifyPrc(prc)).toBe(cls);
    expect(isFinalPrc(prc)).toBe(final);
  });

  it('covers every code of the spec table, with its Chinese label', () => {
    expect(PRCS.sort()).toEqual(['100', '200', '220', '230', '250', '280', '290', '300', '400', '600', 'A0001', 'A0002']);
    expect(prcLabel('250')).toBe('付款成功');
    expect(prcLabel('A0002')).toBe('放棄交易');
    expect(prcLabel('999')).toBeUndefined();
  });

  it('classifies only 250 and 600 as success', () => {
    expect(PRCS.filter((p) => PRC_TABLE[p].class === 'success').sort()).toEqual(['250', '600']);
  });

  it('never classifies a code outside the table as success or final', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer().map(String), fc.stringMatching(/^[A-Z]?\d{1,5}$/)), (prc) => {
        fc.pre(!isKnownPrc(prc));
        expect(classifyPrc(prc)).toBe('unknown');
        expect(isFinalPrc(prc)).toBe(false);
      }),
    );
  });
});
