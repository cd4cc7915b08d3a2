/** 『信用卡別類型』 (answer field `card_type`, typed string). */
import { strCodeSchema } from './code-table.js';

export const CARD_TYPES = ['0', '1', '2', '3', '4'] as const;
export type CardType = (typeof CARD_TYPES)[number];
export const CARD_TYPE_LABELS = {
  '0': '無法辨識或支付方式為非信用卡類',
  '1': 'VISA',
  '2': 'MasterCard',
  '3': 'JCB',
  '4': 'AMEX',
} as const satisfies Record<CardType, string>;
export const cardTypeSchema = strCodeSchema(CARD_TYPES, '信用卡別類型');
