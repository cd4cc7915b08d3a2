/** 『交易服務類型』 (answer field `transaction_mode`, integer). */
import { intCodeSchema } from './code-table.js';

export const TRANSACTION_MODES = [0, 1, 2] as const;
export type TransactionMode = (typeof TRANSACTION_MODES)[number];
export const TRANSACTION_MODE_LABELS = {
  0: '尚未進行閘道交易',
  1: '代收代付',
  2: '特店模式',
} as const satisfies Record<TransactionMode, string>;
export const transactionModeSchema = intCodeSchema(TRANSACTION_MODES, '交易服務類型');
