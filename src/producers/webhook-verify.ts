/**
 * For a merchant's webhook receiver: checks a delivery's Standard Webhooks signature (HMAC-SHA256 of
 * `id.timestamp.body`, timestamp within five minutes) with the `standardwebhooks` package and
 * returns the event. Pass the raw body exactly as received, and during a secret rotation both secrets.
 *
 *   const event = verifyWebhook(process.env.WEBHOOK_SECRET!, rawBody, req.headers);
 */
import { Webhook } from 'standardwebhooks';
import { MypayError } from '../domain/errors.js';
import type { MypayEvent } from '../store/events.js';

export class WebhookSignatureError extends MypayError {
  readonly code = 'WEBHOOK_SIGNATURE';
  readonly retryable = false;
  readonly httpStatus = 400;
  readonly title = 'Webhook signature not verified';
}

type Headers = Record<string, string | string[] | undefined>;

export function verifyWebhook(secrets: string | readonly string[], body: string | Buffer, headers: Headers): MypayEvent {
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  let last: unknown;
  for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
    try {
      return new Webhook(secret).verify(body, flat) as MypayEvent;
    } catch (err) {
      last = err;
    }
  }
  throw new WebhookSignatureError(`webhook signature not verified: ${(last as Error | undefined)?.message ?? 'no secret given'}`);
}
