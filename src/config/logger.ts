/** The one pino factory. Redaction covers merchant keys, encrypted payloads, the charge `key` and personal fields. */
import { pino, type Logger, type DestinationStream } from 'pino';

export const REDACT_PATHS = [
  'key', '*.key', '*.*.key', '*.*.*.key',
  'storeKey', '*.storeKey', 'MYPAY_STORE_KEY', '*.MYPAY_STORE_KEY',
  'encry_data', '*.encry_data', '*.*.encry_data', 'service', '*.service',
  'authorization', '*.authorization', '*.headers.authorization', 'password', '*.password',
  '*.user_sn', '*.user_email', '*.user_cellphone', '*.user_phone', '*.user_address', '*.user_real_name', '*.user_birthday',
  '*.*.user_sn', '*.*.user_email', '*.*.user_cellphone', '*.*.user_phone', '*.*.user_address', '*.*.user_real_name', '*.*.user_birthday',
  '*.cardno', '*.*.cardno',
];

export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'mypay' } }, destination);
}
export type { Logger };
