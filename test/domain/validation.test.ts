import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chargeRequestSchema, fromZodError, parseOrThrow, refundRequestSchema, ValidationError } from '../../src/domain/index.js';
import { chargeJs, refund } from './spec-samples.js';

describe('ValidationError / parseOrThrow', () => {
  it('names each field by its dotted path', () => {
    const error = (() => {
      try {
        parseOrThrow(chargeRequestSchema, { ...chargeJs, pfn: 'X', items: [{ id: '1', name: '', cost: '10', amount: '1', total: '10' }] });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.code).toBe('VALIDATION');
    expect(v.retryable).toBe(false);
    expect(v.issues.map((i) => i.field).sort()).toEqual(['items.0.name', 'pfn']);
    expect(v.message).toContain('items.0.name: must not be empty');
  });

  it('reports missing fields as required and unknown fields one by one', () => {
    const result = chargeRequestSchema.safeParse({ ...chargeJs, order_id: undefined, a: 1, b: 2 });
    expect(result.success).toBe(false);
    const issues = fromZodError(result.error!).issues;
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: 'order_id', message: 'is required' },
        { field: 'a', message: 'is not a field of this payload' },
        { field: 'b', message: 'is not a field of this payload' },
      ]),
    );
    expect(issues).toHaveLength(3);
  });

  it('names the root for a value that is not an object', () => {
    expect(() => parseOrThrow(z.object({ a: z.string() }), 'x')).toThrow(/^\(root\): /);
  });

  it('returns the normalised output', () => {
    expect(parseOrThrow(refundRequestSchema, refund).cost).toBe('100');
  });
});

describe('amount rules (property)', () => {
  const item = fc.record({ cost: fc.integer({ min: 0, max: 100_000 }), amount: fc.integer({ min: 1, max: 50 }) });

  it('accepts any order whose line totals add up to cost, in number or string form', () => {
    fc.assert(
      fc.property(fc.array(item, { minLength: 1, maxLength: 8 }), fc.boolean(), (lines, asStrings) => {
        const items = lines.map((l, i) => {
          const total = l.cost * l.amount;
          return asStrings
            ? { id: String(i), name: `p${i}`, cost: String(l.cost), amount: String(l.amount), total: String(total) }
            : { id: String(i), name: `p${i}`, cost: l.cost, amount: l.amount, total };
        });
        const cost = lines.reduce((s, l) => s + l.cost * l.amount, 0);
        fc.pre(cost > 0);
        const parsed = parseOrThrow(chargeRequestSchema, { ...chargeJs, items, cost: asStrings ? String(cost) : cost });
        expect(parsed.cost).toBe(String(cost));
        expect(parsed.items?.every((i) => typeof i.total === 'string')).toBe(true);
      }),
    );
  });

  it('rejects any refund whose items do not add up to its cost, naming cost', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 10_000 }), (itemTotal, cost) => {
        fc.pre(itemTotal !== cost);
        const result = refundRequestSchema.safeParse({ ...refund, cost, items: [{ id: '1', name: 'x', cost: itemTotal, amount: 1, total: itemTotal }] });
        expect(result.success).toBe(false);
        expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['cost']);
      }),
    );
  });
});
