/**
 * Prometheus metrics (prom-client), one registry per process so tests can run several apps side by
 * side. Two sources:
 * - Redis, read at scrape time (the same in every process): queue depths, busy terminals, waiting
 *   operations;
 * - the workers' `onEvent` hook and the webhook deliveries' `onNotifyEvent` (counts of this process; Prometheus sums processes): operations by
 *   final state, gateway latency, unknown outcomes, unresolved operations, polls, lease recoveries.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Core } from '../queues/core.js';
import type { WorkerEvent } from '../workers/context.js';
import type { NotifyEvent } from '../workers/notify/deliver.js';
import { notifyQueue } from '../workers/notify/queue.js';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** Pass to `workerContext(onEvent)`. */
  onEvent(event: WorkerEvent): void;
  /** Records what the start-up check found of Redis' durability (`mypay_redis_durability_ok`). */
  setDurability(d: { ok: boolean; level: string }): void;
  /** Pass to the webhook deliveries (`startNotify({ onEvent })`). */
  onNotifyEvent(event: NotifyEvent): void;
  render(): Promise<string>;
}

export interface MetricsOptions {
  /** Node.js process metrics (CPU, memory, event loop). Default true. */
  processMetrics?: boolean;
}

export function createMetrics(core: Core, options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'mypay' });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'mypay_' });
  const registers = [registry];

  new Gauge({
    name: 'mypay_queue_jobs',
    help: 'BullMQ jobs per queue and state (read from Redis at scrape time)',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      for (const q of [core.deviceQueue, core.statusQueue, notifyQueue(core)]) {
        const counts = await q.getJobCounts(...JOB_STATES).catch(() => null);
        if (!counts) continue;
        for (const s of JOB_STATES) this.set({ queue: q.name, state: s }, counts[s] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'mypay_terminals_busy',
    help: 'Terminals holding an operation (a lease) right now',
    registers,
    async collect() {
      const n = await core.redis.zcard(core.store.keys.leases).catch(() => null);
      if (n !== null) this.set(n);
    },
  });
  const finals = new Counter({ name: 'mypay_operations_final_total', help: 'Operations that reached a final state, by kind and state', labelNames: ['kind', 'state'], registers });
  const latency = new Histogram({
    name: 'mypay_gateway_request_duration_seconds',
    help: 'Gateway round trip per command and outcome (B200, or the error kind)',
    labelNames: ['command', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 15, 30],
    registers,
  });
  const posts = new Counter({ name: 'mypay_gateway_posts_total', help: 'Operation POSTs to the gateway by command and outcome', labelNames: ['command', 'outcome'], registers });
  const unknown = new Counter({ name: 'mypay_unknown_outcomes_total', help: 'POSTs whose outcome was unknown (timeout, reset, 5xx): followed up by query, never blindly resent', labelNames: ['kind'], registers });
  const unresolved = new Counter({ name: 'mypay_operations_unresolved_total', help: 'Operations that ended unresolved (manual review needed)', labelNames: ['kind'], registers });
  const polls = new Counter({ name: 'mypay_status_polls_total', help: 'querydirect follow-ups by prc answered (none = order not found)', labelNames: ['kind', 'prc'], registers });
  const recovered = new Counter({ name: 'mypay_lease_recoveries_total', help: 'Expired terminal leases taken over by the sweeper', registers });
  const durability = new Gauge({ name: 'mypay_redis_durability_ok', help: 'Redis durability meets REDIS_DURABILITY (1) or is below it (0), by the level found at start-up', labelNames: ['level'], registers });
  const abandoned = new Counter({ name: 'mypay_claims_abandoned_total', help: 'Claims given up without POSTing: the budget between claim and POST ran out (nothing sent, retried)', labelNames: ['kind'], registers });
  const lostWrites = new Counter({ name: 'mypay_lost_writes_total', help: 'Answers for a POST whose record went backwards (lost Redis writes): operation sent to review', labelNames: ['kind'], registers });
  const janitor = new Counter({ name: 'mypay_janitor_operations_total', help: 'Open operations the janitor looked at, re-drove (follow-up re-created) or sent to review', labelNames: ['action'], registers });
  const hooks = new Counter({ name: 'mypay_webhook_deliveries_total', help: 'Webhook delivery attempts by endpoint and result: delivered, failed (an HTTP error, a timeout or no connection; retried unless final), not_sent (circuit open, earlier event failed, event or endpoint gone)', labelNames: ['endpoint', 'result', 'final'], registers });
  const hookLatency = new Histogram({
    name: 'mypay_webhook_delivery_latency_seconds',
    help: 'From the event (the state change) to its delivery acknowledged by the endpoint',
    labelNames: ['endpoint'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400, 259200],
    registers,
  });
  const hookRequests = new Histogram({ name: 'mypay_webhook_request_duration_seconds', help: 'One webhook request, connect to the end of the answer, by endpoint and outcome', labelNames: ['endpoint', 'outcome'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers });
  const circuits = new Counter({ name: 'mypay_webhook_circuit_transitions_total', help: "Webhook endpoints' circuit breaker opening (failures in a row) and closing (a probe delivered)", labelNames: ['endpoint', 'state'], registers });

  return {
    registry,
    contentType: registry.contentType,
    onEvent(e) {
      switch (e.type) {
        case 'post':
          posts.inc({ command: e.cmd, outcome: e.outcome });
          if (e.latencyMs !== undefined) latency.observe({ command: e.cmd, outcome: e.outcome }, e.latencyMs / 1000);
          break;
        case 'poll':
          polls.inc({ kind: e.op.kind, prc: e.prc });
          if (e.latencyMs !== undefined) latency.observe({ command: 'api/querydirect', outcome: 'B200' }, e.latencyMs / 1000);
          break;
        case 'final':
          finals.inc({ kind: e.op.kind, state: e.state });
          if (e.state === 'unresolved') unresolved.inc({ kind: e.op.kind });
          break;
        case 'unknown_outcome':
          unknown.inc({ kind: e.op.kind });
          break;
        case 'recovered':
          recovered.inc();
          break;
        case 'claim_abandoned':
          abandoned.inc({ kind: e.op.kind });
          break;
        case 'lost_writes':
          lostWrites.inc({ kind: e.op.kind });
          break;
        case 'janitor':
          janitor.inc({ action: e.action }, e.count);
          break;
      }
    },
    onNotifyEvent(e) {
      switch (e.type) {
        case 'delivered':
          hooks.inc({ endpoint: e.endpoint, result: 'delivered', final: 'true' });
          hookLatency.observe({ endpoint: e.endpoint }, e.latencyMs / 1000);
          hookRequests.observe({ endpoint: e.endpoint, outcome: String(e.status) }, e.requestMs / 1000);
          break;
        case 'attempt_failed':
          hooks.inc({ endpoint: e.endpoint, result: 'failed', final: String(e.final) });
          hookRequests.observe({ endpoint: e.endpoint, outcome: e.timeout ? 'timeout' : e.status !== undefined ? String(e.status) : 'error' }, e.requestMs / 1000);
          break;
        case 'not_sent':
          hooks.inc({ endpoint: e.endpoint, result: `not_sent_${e.reason}`, final: String(e.final) });
          break;
        case 'circuit':
          circuits.inc({ endpoint: e.endpoint, state: e.state });
          break;
      }
    },
    setDurability(d) {
      durability.reset();
      durability.set({ level: d.level }, d.ok ? 1 : 0);
    },
    render: () => registry.metrics(),
  };
}
