/**
 * The one pino factory. Redaction uses the shared lists of src/domain/redact.ts, the same lists that
 * records, audit entries, the simulator's journal and the CLI are redacted with: pino's `redact`
 * paths for the fields at the top of a line and of a child logger's bindings, and the log formatter
 * for any depth (`{ answer: { rows: [{ key }] } }`).
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { REDACTED, logRedactPaths, redactForLog } from '../domain/redact.js';

export const REDACT_PATHS = logRedactPaths();

export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      formatters: { log: redactForLog },
      base: { app: 'mypay' },
    },
    destination,
  );
}
export type { Logger };
