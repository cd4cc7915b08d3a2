/**
 * docs/OPERATIONS.md stays true to the code: the settings table is what scripts/env-table.ts makes
 * from the zod schema (every key, in a named group), every metric and every Redis key kind the
 * runbooks rely on is described.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envSchema } from '../../src/config/config.js';
import { keysFor } from '../../src/store/keys.js';
import { DOC_PATH, END, GROUPS, START, docComments, renderEnvTable, withTable } from '../../scripts/env-table.js';

const doc = readFileSync(DOC_PATH, 'utf8');
const keys = Object.keys(envSchema.shape);

describe('docs/OPERATIONS.md', () => {
  it('lists every setting of the schema in its settings table', () => {
    const table = doc.slice(doc.indexOf(START), doc.indexOf(END));
    const missing = keys.filter((k) => !table.includes(`| \`${k}\` |`));
    expect(missing).toEqual([]);
  });

  it('has the table scripts/env-table.ts generates (run `npx tsx scripts/env-table.ts --write` after changing a setting)', () => {
    expect(withTable(doc)).toBe(doc);
  });

  it('every setting has a TSDoc line in config.ts and a named group', () => {
    const comments = docComments();
    expect(keys.filter((k) => !comments.get(k))).toEqual([]);
    expect(keys.filter((k) => !GROUPS.some(([, match]) => match(k)))).toEqual([]);
    expect(renderEnvTable()).not.toContain('**Other**');
  });

  it('describes every metric the processes export', () => {
    const source = readFileSync('src/metrics/metrics.ts', 'utf8');
    const names = [...source.matchAll(/name: '(mypay_[a-z_]+)'/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(5);
    expect(names.filter((n) => !doc.includes(`\`${n}`))).toEqual([]);
  });

  it('names every kind of Redis key the store writes (runbooks)', () => {
    const k = keysFor('mypay');
    const shapes = [
      k.op('<opId>'), k.audit('<opId>'), k.lease('<store>|<device>'), k.leases, k.mailboxLive('<store>|<device>'),
      k.device('<store>|<device>'), k.auditDevice('<store>|<device>'), k.devices, k.uid('<store>', '<uid>'),
      k.children('<chargeOpId>'), k.claimed('<chargeOpId>'), decodeURIComponent(k.tombstone('<store>', '<order_id>')), k.open, k.janitorLock,
      k.events, decodeURIComponent(k.callbackHint('<store>', '<order_id>')), k.askAgain('<opId>'),
    ];
    // In markdown tables `|` is escaped.
    const missing = shapes.filter((s) => !doc.includes(`\`${s.replace(/\|/g, '\\|')}\``));
    expect(missing).toEqual([]);
    // 18 key kinds + `leasePrefix` (the prefix of the lease keys, for sweep.lua). A new key kind must
    // be added to the runbooks' table too. (The search indexes and the webhook keys are built by
    // their own modules and listed in the table as well.)
    expect(Object.keys(k)).toHaveLength(19);
  });
});
