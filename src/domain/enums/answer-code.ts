/**
 * Immediate answer codes (附錄二, last two rows): every command's synchronous answer carries one.
 * They say whether the gateway took the request, not how the payment ended (that is the prc).
 */
import { z } from 'zod';

export const ANSWER_CODES = ['B200', 'B500'] as const;
export type AnswerCode = (typeof ANSWER_CODES)[number];
export const ANSWER_CODE_LABELS = {
  B200: '執行成功 處理成功執行',
  B500: '執行失敗 處理時,資料異常不予以處理',
} as const satisfies Record<AnswerCode, string>;
export const answerCodeSchema = z.enum(ANSWER_CODES, { error: 'expected B200 or B500' });
