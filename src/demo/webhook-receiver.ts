/**
 * The demo's webhook receiver (`npm start` in demo mode without `WEBHOOK_URL`): a loopback HTTP
 * endpoint that verifies every delivery's signature as a merchant's would (verifyWebhook, the
 * standardwebhooks package) and logs it, so a newcomer sees a signed event arrive. The workers are
 * pointed at it with a secret generated for the run.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { verifyWebhook } from '../producers/webhook-verify.js';
import { readBody } from '../simulator/http-io.js';

export interface DemoReceiver {
  url: string;
  /** The generated `whsec_…` secret the workers sign with. */
  secret: string;
  /** Deliveries verified, and refused (a bad signature). */
  counts(): { verified: number; refused: number };
  close(): Promise<void>;
}

export async function startDemoReceiver(logger: Logger, host = '127.0.0.1'): Promise<DemoReceiver> {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  let verified = 0;
  let refused = 0;
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    readBody(req).then((body) => {
      try {
        const event = verifyWebhook(secret, body, req.headers);
        verified++;
        const object = event.data.object as { id?: string; order_id?: string; state?: string };
        logger.info({ event: event.id, type: event.type, store: event.store_uid, order: object.order_id, state: object.state }, `webhook received: ${event.type} (signature verified)`);
        res.writeHead(204).end();
      } catch (err) {
        refused++;
        logger.warn({ err: (err as Error).message }, 'webhook refused: signature not verified');
        res.writeHead(400).end();
      }
    }, () => res.writeHead(413).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/webhooks`,
    secret,
    counts: () => ({ verified, refused }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
