/** The gateway's immediate answers: `{code, msg}` and, for querydirect, `rows`. */
import { MSG } from './messages.js';

export interface Answer {
  code: 'B200' | 'B500';
  msg: string;
  rows?: Record<string, unknown>[];
}

export const ok = (): Answer => ({ code: 'B200', msg: MSG.ok });
export const reject = (msg: string): Answer => ({ code: 'B500', msg });
