/** verifyWebhook: the receiver's check, against signatures made by the standardwebhooks package itself. */
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookSignatureError } from '../../src/producers/webhook-verify.js';

const OLD = `whsec_${Buffer.from('old-secret-old-secret-old-secret').toString('base64')}`;
const NEW = `whsec_${Buffer.from('new-secret-new-secret-new-secret').toString('base64')}`;
const body = JSON.stringify({ id: 'evt_1-0', type: 'charge.paid', created_at: new Date().toISOString(), store_uid: 's', data: { object: { id: 'charge.s.1' } } });

function headers(secrets: string[], at = new Date(), id = 'evt_1-0') {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' '),
  };
}

describe('verifyWebhook', () => {
  it('returns the event of a delivery signed with the secret; headers in any case', () => {
    const h = headers([NEW]);
    expect(verifyWebhook(NEW, body, h).type).toBe('charge.paid');
    const upper = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook(NEW, Buffer.from(body), upper).id).toBe('evt_1-0');
  });

  it('during a rotation: a delivery signed with both secrets verifies with either; the receiver may hold both', () => {
    const both = headers([NEW, OLD]);
    expect(verifyWebhook(OLD, body, both).type).toBe('charge.paid');
    expect(verifyWebhook(NEW, body, both).type).toBe('charge.paid');
    expect(verifyWebhook([NEW, OLD], body, headers([OLD])).type).toBe('charge.paid');
  });

  it('refuses a changed body, another secret, another id and a stale timestamp', () => {
    const h = headers([NEW]);
    expect(() => verifyWebhook(NEW, body.replace('paid', 'refunded'), h)).toThrow(WebhookSignatureError);
    expect(() => verifyWebhook(OLD, body, h)).toThrow(WebhookSignatureError);
    expect(() => verifyWebhook(NEW, body, { ...h, 'webhook-id': 'evt_2-0' })).toThrow(WebhookSignatureError);
    expect(() => verifyWebhook(NEW, body, headers([NEW], new Date(Date.now() - 10 * 60_000)))).toThrow(/timestamp|too old/i);
    expect(() => verifyWebhook([], body, h)).toThrow(/no secret/);
  });
});
