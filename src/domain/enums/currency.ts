/**
 * Field `currency` of 『銷售系統發動交易』: 「預設交易幣別(預設為TWD新台幣)」. The spec names no other
 * currency, and our amount rules (positive whole numbers) are TWD's, so TWD is the only one accepted.
 */
import { z } from 'zod';

export const CURRENCIES = ['TWD'] as const;
export type Currency = (typeof CURRENCIES)[number];
export const CURRENCY_LABELS = { TWD: '新台幣' } as const satisfies Record<Currency, string>;
export const currencySchema = z.enum(CURRENCIES, { error: 'expected TWD (預設交易幣別)' });
