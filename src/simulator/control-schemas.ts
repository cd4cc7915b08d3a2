/** Bodies of the `/_sim/*` control requests. */
import { z } from 'zod';
import { NAMED_OUTCOMES, type OutcomeName } from './outcomes.js';
import { faultRuleSchema } from './faults.js';
import { DUPLICATE_ORDERS } from './options.js';

const outcomeNames = Object.keys(NAMED_OUTCOMES) as [OutcomeName, ...OutcomeName[]];

export const outcomeScriptSchema = z.union([
  z.enum(outcomeNames),
  z.array(z.strictObject({ prc: z.string().min(1), afterMs: z.number().int().nonnegative().optional() })),
]);

/** `POST /_sim/orders`: the outcome of the next charge of `order_id`. */
export const scriptOrderSchema = z.strictObject({
  store_uid: z.string().optional(),
  order_id: z.union([z.string().min(1), z.number()]).transform(String),
  outcome: outcomeScriptSchema,
});

/** `POST /_sim/faults`: one rule or several. */
export const faultsBodySchema = z.union([faultRuleSchema, z.array(faultRuleSchema), z.strictObject({ rules: z.array(faultRuleSchema) })]);

/** `POST /_sim/devices`: add terminals, take some offline (optionally for a while) or back online. */
export const devicesBodySchema = z.strictObject({
  store_uid: z.string().optional(),
  /** Names, or a count of `A…` names to make sure exist. */
  add: z.union([z.array(z.string().min(1)), z.number().int().positive()]).optional(),
  offline: z.array(z.string().min(1)).optional(),
  online: z.array(z.string().min(1)).optional(),
  /** With `offline`: come back online after this long. */
  forMs: z.number().int().positive().optional(),
});

/** `POST /_sim/stores`: another merchant. */
export const storeBodySchema = z.strictObject({
  store_uid: z.string().min(1).max(16),
  key: z.string().refine((k) => Buffer.byteLength(k) === 32, 'key must be 32 bytes'),
  devices: z.union([z.array(z.string().min(1)), z.number().int().nonnegative()]).optional(),
});

/** `POST /_sim/config`: run-time settings; each field is optional, unset fields stay as they are. */
export const configBodySchema = z.strictObject({
  /** A repeated order_id: `refuse` (B500) or `accept` (a new order). */
  duplicateOrders: z.enum(DUPLICATE_ORDERS).optional(),
});
