/**
 * The shape of webhook settings (docs/WEBHOOKS.md): Standard Webhooks secrets, event-type subsets and
 * the retry schedule, as zod schemas shared by the environment (`WEBHOOK_*`, config.ts) and the stores
 * file (`webhooks` per store). No value of a secret ever appears in a message.
 */
import { z } from 'zod';
import { EVENT_TYPES, isEventType } from '../domain/events.js';

/** Standard Webhooks: a secret is `whsec_` + base64 of 24 to 64 random bytes. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function isWebhookSecret(s: string): boolean {
  if (!s.startsWith(WEBHOOK_SECRET_PREFIX)) return false;
  const b64 = s.slice(WEBHOOK_SECRET_PREFIX.length);
  if (!BASE64.test(b64) || b64.length % 4 !== 0) return false;
  const bytes = Buffer.from(b64, 'base64').length;
  return bytes >= 24 && bytes <= 64;
}

export const SECRET_RULE = 'must be whsec_ followed by base64 of 24 to 64 random bytes (e.g. whsec_$(openssl rand -base64 32))';

/** Zero to two secrets (the environment: none while `WEBHOOK_URL` is unset). */
export const webhookSecretListSchema = z
  .array(z.string())
  .max(2, 'at most 2 secrets (the current one and, while rotating, the next)')
  .superRefine((secrets, ctx) => {
    secrets.forEach((s, i) => {
      if (!isWebhookSecret(s)) ctx.addIssue({ code: 'custom', message: `secret ${i + 1} ${SECRET_RULE}` });
    });
  });

/** One or two secrets (two while rotating: every delivery is signed with both). */
export const webhookSecretsSchema = webhookSecretListSchema.refine((s) => s.length > 0, 'at least one secret');

/** A subset of the event types (docs/EVENTS.md); unknown names are refused. */
export const eventTypesSchema = z
  .array(z.string())
  .superRefine((types, ctx) => {
    for (const t of types) if (!isEventType(t)) ctx.addIssue({ code: 'custom', message: `unknown event type "${t}" (known: ${EVENT_TYPES.join(', ')})` });
  });

/** Endpoint ids go into Redis keys and BullMQ job ids: no `:`, no `.` (the job id is `<endpoint>.<event>`). */
export const ENDPOINT_ID = /^[A-Za-z0-9_-]{1,40}$/;

/** One endpoint of a store, in the stores file (`MYPAY_STORES_FILE`). */
export const storeWebhookSchema = z.strictObject({
  /** Optional stable name (letters, digits, `_`, `-`); default: derived from the store and the URL. */
  id: z.string().regex(ENDPOINT_ID, 'letters, digits, _ and - only (at most 40)').optional(),
  url: z.url(),
  secrets: webhookSecretsSchema,
  types: eventTypesSchema.min(1, 'omit types for every event type').optional(),
});
export type StoreWebhookConfig = z.infer<typeof storeWebhookSchema>;

/** The production retry schedule (ms): 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, then 8 h … */
export const DEFAULT_RETRY_SCHEDULE_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000] as const;

export const retryScheduleSchema = z
  .array(z.string())
  .min(1, 'at least one delay')
  .superRefine((items, ctx) => {
    for (const s of items) if (!/^\d{1,10}$/.test(s) || Number(s) <= 0) ctx.addIssue({ code: 'custom', message: `"${s}" is not a positive whole number of ms` });
  })
  .transform((items) => items.map(Number));
