/** What a worker needs besides the core: the gateway and the merchants' keys. */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Command } from '../domain/codec/index.js';
import type { GatewayAnswer } from '../gateway/answer.js';
import type { Core } from '../queues/core.js';
import { gatewayRequest, type StoredOperation } from '../store/record.js';
import { redactSecrets } from '../domain/redact.js';

export interface GatewayPort {
  /** `options.writeBy`: `performance.now()` time after which nothing may be written (the claim's budget). */
  send(store: { store_uid: string; key: string }, cmd: Command, data: unknown, options?: { writeBy?: number }): Promise<GatewayAnswer>;
}

export interface WorkerContext {
  core: Core;
  gateway: GatewayPort;
  /** Merchant key by store uid (from config; never from job data). */
  merchantKey(storeUid: string): string | undefined;
  logger: Logger;
  /** Rate limit for bulk-lane (batch refund) sends: ms to wait before `opId` may be sent (0 = now). */
  bulkGate?: { wait(opId: string, now?: number): Promise<number> };
  /** Called once per recorded event (metrics hook). */
  onEvent?: (event: WorkerEvent) => void;
  random?: () => number;
}

export type WorkerEvent =
  | { type: 'post'; op: StoredOperation; cmd: Command; latencyMs?: number; outcome: string }
  | { type: 'poll'; op: StoredOperation; prc: string; latencyMs?: number }
  | { type: 'final'; op: StoredOperation; state: string }
  | { type: 'unknown_outcome'; op: StoredOperation }
  | { type: 'recovered'; op: StoredOperation; why: string }
  /** A claim given up before any byte left (the budget ran out between claim and POST). */
  | { type: 'claim_abandoned'; op: StoredOperation; elapsedMs: number }
  /** An answer for a POST whose record went backwards: writes were lost (the operation goes to review). */
  | { type: 'lost_writes'; op: StoredOperation; detail: string }
  /** The janitor re-created a missing follow-up, or sent an operation to review. */
  | { type: 'janitor'; action: 'redriven' | 'reviewed' | 'checked'; count: number };

export const COMMAND_OF: Record<StoredOperation['kind'], Command> = {
  charge: 'api/postransaction',
  refund: 'api/posrefund',
  reprint_invoice: 'api/posreprintinvoice',
  reprint_signature: 'api/posreprintsignature',
};

/** The request as sent: the stored payload plus the charge `key` (never stored in the payload, never logged). */
export function requestPayload(op: StoredOperation): Record<string, unknown> {
  const req = gatewayRequest(op);
  if (op.kind !== 'charge' && op.key) req.key = op.key;
  return req;
}

/** The same request with the key masked, for the audit trail and logs. */
export function auditPayload(op: StoredOperation): Record<string, unknown> {
  const req = gatewayRequest(op);
  if (op.kind !== 'charge') req.key = '[redacted]';
  return req;
}

/** A gateway answer as it may be stored or shown: every secret field masked, at any depth (domain/redact.ts, the one list). */
export const redactAnswer = redactSecrets;

/**
 * Log lines for a running job, written by the state-change script they describe (store Effects.jobLog)
 * instead of a `job.log` round trip each: the job's BullMQ log list, removed with the job.
 */
export function jobLog(job: Job, ...lines: string[]): { key: string; lines: string[] } {
  return { key: `${job.queueQualifiedName}:${job.id}:logs`, lines };
}
