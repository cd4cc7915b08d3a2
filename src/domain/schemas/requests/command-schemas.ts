/** The request payload schema of each command: the one registry the gateway client and simulator share. */
import type { z } from 'zod';
import type { Command } from '../../codec/envelope.js';
import { chargeRequestSchema } from './charge.js';
import { queryRequestSchema } from './query.js';
import { refundRequestSchema } from './refund.js';
import { reprintInvoiceRequestSchema } from './reprint-invoice.js';
import { reprintSignatureRequestSchema } from './reprint-signature.js';

export const commandSchemas = {
  'api/postransaction': chargeRequestSchema,
  'api/querydirect': queryRequestSchema,
  'api/posrefund': refundRequestSchema,
  'api/posreprintinvoice': reprintInvoiceRequestSchema,
  'api/posreprintsignature': reprintSignatureRequestSchema,
} as const satisfies Record<Command, z.ZodType>;

/** The parsed (normalised) payload of a command. */
export type CommandRequest<C extends Command> = z.output<(typeof commandSchemas)[C]>;
/** What a caller may pass for a command, before normalisation. */
export type CommandRequestInput<C extends Command> = z.input<(typeof commandSchemas)[C]>;
