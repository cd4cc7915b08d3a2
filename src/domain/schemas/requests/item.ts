/**
 * One line of `items`: 『商品項目』 (charge and refund) with the lengths of 『商品資訊』:
 * id string(20), name string(20), cost string(10), amount string(10), total string(20), all required.
 * A unit price or line total of 0 is allowed (a free gift line); the quantity is at least 1.
 */
import { z } from 'zod';
import { amountValue, requiredText, wholeNumberText } from './fields.js';

export const itemSchema = z.strictObject({
  /** 商品編號. */
  id: requiredText(20),
  /** 商品名稱. A refund's item names must equal the charge's (「退款項目之項目名稱必須和交易時之產品項目名稱相同」). */
  name: requiredText(20),
  /** 商品單價. */
  cost: wholeNumberText({ min: 0, maxDigits: 10, what: 'a unit price in TWD of 0 or more' }),
  /** 商品數量. */
  amount: wholeNumberText({ min: 1, maxDigits: 10, what: 'a quantity of 1 or more' }),
  /** 商品小計 = cost × amount. */
  total: wholeNumberText({ min: 0, maxDigits: 20, what: 'a line total in TWD of 0 or more' }),
});
export type Item = z.output<typeof itemSchema>;
export type ItemInput = z.input<typeof itemSchema>;

/** Items with their `items` array, for the cross-field checks of charges and refunds. */
export const itemsSchema = z.array(itemSchema).min(1, { error: 'must hold at least one item when given' });

/** Sum of the line totals. */
export function itemsTotal(items: readonly Item[]): number {
  return items.reduce((sum, item) => sum + amountValue(item.total), 0);
}

interface IssueSink {
  addIssue(issue: { code: 'custom'; message: string; path: (string | number)[] }): void;
}

/** Reports every line whose total is not unit price × quantity, at `items.<i>.total`. */
export function checkLineTotals(items: readonly Item[], ctx: IssueSink): void {
  items.forEach((item, i) => {
    const expected = amountValue(item.cost) * amountValue(item.amount);
    if (amountValue(item.total) !== expected) {
      ctx.addIssue({
        code: 'custom',
        path: ['items', i, 'total'],
        message: `total ${item.total} does not equal cost ${item.cost} × amount ${item.amount} = ${expected}`,
      });
    }
  });
}
