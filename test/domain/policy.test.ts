/**
 * The failure policy as a table (domain/operation/policy.ts): what a worker does after one POST.
 * The rule behind every row: a POST is repeated only when the previous one provably was not acted on.
 */
import { describe, expect, it } from 'vitest';
import { decideAfterPostFailure, judgeStaleAnswer, type PostContext, type PostFailure } from '../../src/domain/operation/policy.js';

const ctx = (over: Partial<PostContext> = {}): PostContext => ({
  kind: 'charge', attempt: 1, now: 1_000, deadline: 10_000, earlierPostMayHaveActed: false, random: 0.5, retry: { baseMs: 100, maxMs: 1_000 }, ...over,
});
const f = {
  notDelivered: { kind: 'not_delivered', message: 'refused' },
  config: { kind: 'config', message: 'bad key' },
  unknown: { kind: 'outcome_unknown', message: 'timeout' },
  bad: { kind: 'bad_answer', message: 'not json' },
  offline: { kind: 'rejected', reason: 'terminal_offline', message: '設備「A01」目前未連線' },
  busy: { kind: 'rejected', reason: 'terminal_busy', message: 'busy' },
  duplicate: { kind: 'rejected', reason: 'duplicate_order', message: '訂單編號已存在' },
  invalid: { kind: 'rejected', reason: 'invalid_data', message: '資料異常' },
} satisfies Record<string, PostFailure>;

describe('decideAfterPostFailure', () => {
  it.each<[string, Partial<PostContext>, PostFailure, string, string?]>([
    ['not delivered → retry', {}, f.notDelivered, 'retry'],
    ['terminal offline → retry', {}, f.offline, 'retry'],
    ['terminal busy → retry', {}, f.busy, 'retry'],
    ['not delivered past the deadline → failed', { now: 10_000 }, f.notDelivered, 'final', 'failed'],
    ['offline past the deadline after an explicit retry of an unknown POST → unknown (an earlier POST may have acted)', { now: 10_000, earlierPostMayHaveActed: true }, f.offline, 'unknown'],
    ['config error (no byte left) → failed, never retried', {}, f.config, 'final', 'failed'],
    ['timeout → unknown (settled by query, never resent)', {}, f.unknown, 'unknown'],
    ['bad answer → unknown', {}, f.bad, 'unknown'],
    ['refund timeout → unknown', { kind: 'refund' }, f.unknown, 'unknown'],
    ['reprint timeout → reprint_unknown (a resend would print twice)', { kind: 'reprint_invoice' }, f.unknown, 'reprint_unknown'],
    ['B500 invalid data → rejected', {}, f.invalid, 'final', 'rejected'],
    ['charge refused as a duplicate order id on its first POST → rejected (the id was used before us)', {}, f.duplicate, 'final', 'rejected'],
    ['duplicate order id after an explicit retry of an unknown POST → unknown (ours may have arrived)', { attempt: 2, earlierPostMayHaveActed: true }, f.duplicate, 'unknown'],
    ['refund B500 after an unknown POST → unknown', { kind: 'refund', earlierPostMayHaveActed: true }, f.invalid, 'unknown'],
  ])('%s', (_name, over, failure, type, state) => {
    const d = decideAfterPostFailure(ctx(over), failure);
    expect(d.type).toBe(type);
    if (state) expect(d).toMatchObject({ state });
  });

  it('retry delays back off, never past the deadline', () => {
    const a = decideAfterPostFailure(ctx({ attempt: 1 }), f.offline);
    const b = decideAfterPostFailure(ctx({ attempt: 4 }), f.offline);
    const c = decideAfterPostFailure(ctx({ attempt: 10, now: 9_990 }), f.offline);
    expect(a.type === 'retry' && b.type === 'retry' && a.delayMs < b.delayMs).toBe(true);
    expect(c).toMatchObject({ type: 'retry', delayMs: 10 });
  });
});

describe('judgeStaleAnswer: an answer for a POST whose record moved on', () => {
  it.each<[string, { state: Parameters<typeof judgeStaleAnswer>[0]['state']; claim: string }, string]>([
    ['taken over after the fence (unknown, same claim) → audit only', { state: 'unknown', claim: 'c1' }, 'taken_over'],
    ['already settled by query (paid, same claim) → audit only', { state: 'paid', claim: 'c1' }, 'taken_over'],
    ['record back at queued (claim lost) → lost writes', { state: 'queued', claim: '' }, 'lost_writes'],
    ['retry_wait naming this claim → lost writes (nobody else sets it)', { state: 'retry_wait', claim: 'c1' }, 'lost_writes'],
    ['another claim after this one (a second POST) → lost writes', { state: 'sending', claim: 'c2' }, 'lost_writes'],
    ['the claim lost and claimed again with the same POST count → lost writes (a counter would repeat)', { state: 'accepted', claim: 'c2' }, 'lost_writes'],
    ['record gone → lost writes', { state: 'missing', claim: '' }, 'lost_writes'],
  ])('%s', (_n, current, verdict) => {
    expect(judgeStaleAnswer(current, 'c1')).toBe(verdict);
  });
});
