/**
 * Result callbacks to the merchant (『交易完成回傳資訊』 for charges, 『退款完成回傳資訊』 for refunds),
 * posted form-urlencoded to a configured URL. Late and duplicate deliveries can be injected, because a
 * merchant must cope with both. Delivery is best effort: failures are counted, never retried.
 */
import { request } from 'undici';
import { z } from 'zod';
import type { Clock } from './clock.js';
import { twTimestamp } from './clock.js';
import type { ChangeEvent } from './engine.js';
import { retmsgFor } from './messages.js';
import { orderRow } from './rows.js';
import type { Stats } from './stats.js';

export const callbackConfigSchema = z
  .object({
    /** Where to post; unset disables callbacks. */
    url: z.url().optional(),
    /** Extra delay before each delivery (a late callback). Default 0. */
    delayMs: z.number().int().nonnegative().default(0),
    /** Extra deliveries of the same callback (duplicates). Default 0. */
    duplicates: z.number().int().nonnegative().default(0),
    /** Chance that a callback is sent at all (a lost callback). Default 1. */
    probability: z.number().min(0).max(1).default(1),
  })
  .strict();
export type CallbackConfig = z.output<typeof callbackConfigSchema>;

const flat = (row: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)]),
  );

export function callbackFields(event: ChangeEvent): Record<string, string> {
  if (event.type === 'charge') {
    const { refund_order: _r, cancel_order: _c, ...row } = orderRow(event.order);
    return flat(row);
  }
  const { order: o, refund: r } = event;
  return flat({
    uid: o.uid, refund_uid: r.uid, key: o.key, prc: r.prc, finishtime: r.finishedAt ? twTimestamp(r.finishedAt) : '',
    order_id: o.order_id, user_id: o.user_id, cost: String(r.cost), currency: o.currency,
    actual_cost: String(r.cost), actual_currency: o.currency, retmsg: retmsgFor(r.prc), pfn: o.pfn,
    payment_name: '', nois: '', group_id: '', refund_type: '1', expected_refund_date: '',
    echo_0: o.echo[0], echo_1: o.echo[1], echo_2: o.echo[2], echo_3: o.echo[3], echo_4: o.echo[4],
  });
}

export class Callbacks {
  config: CallbackConfig;
  private readonly inflight = new Set<Promise<void>>();
  private readonly timers = new Set<unknown>();

  constructor(
    private readonly clock: Clock,
    private readonly stats: () => Stats,
    url?: string,
    private readonly random: () => number = Math.random,
  ) {
    this.config = callbackConfigSchema.parse({ url });
  }

  configure(input: unknown): CallbackConfig {
    this.config = callbackConfigSchema.parse(input);
    return this.config;
  }

  notify(event: ChangeEvent): void {
    const { url, delayMs, duplicates, probability } = this.config;
    if (!url || (probability < 1 && this.random() >= probability)) return;
    const body = new URLSearchParams(callbackFields(event)).toString();
    for (let i = 0; i <= duplicates; i++) {
      if (delayMs > 0) {
        const h = this.clock.setTimeout(() => {
          this.timers.delete(h);
          this.send(url, body);
        }, delayMs * (i + 1));
        this.timers.add(h);
      } else this.send(url, body);
    }
  }

  private send(url: string, body: string): void {
    const p = request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      headersTimeout: 5_000,
      bodyTimeout: 5_000,
    })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) this.stats().callbacks.sent++;
        else this.stats().callbacks.failed++;
      })
      .catch(() => {
        this.stats().callbacks.failed++;
      })
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  /** Cancels pending (late) deliveries and waits for those on the wire. */
  async close(): Promise<void> {
    for (const h of this.timers) this.clock.clearTimeout(h);
    this.timers.clear();
    await Promise.all([...this.inflight]);
  }
}
