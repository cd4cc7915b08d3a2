/**
 * A loopback HTTP proxy in front of the simulator that keeps every raw request body, so a secret
 * scan knows the exact `encry_data` / `service` ciphertexts that went over the wire. Upstream
 * failures (a simulator fault that resets the connection) reset the client's connection too.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordingProxy {
  url: string;
  bodies: { contentType: string; body: string }[];
  /** Every `encry_data` and `service` value sent (form or JSON bodies). */
  ciphertexts(): string[];
  close(): Promise<void>;
}

export async function startRecordingProxy(targetUrl: string): Promise<RecordingProxy> {
  const bodies: RecordingProxy['bodies'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const contentType = req.headers['content-type'] ?? '';
      bodies.push({ contentType, body });
      fetch(targetUrl, { method: 'POST', headers: { 'content-type': contentType }, body }).then(
        async (up) => {
          const buf = Buffer.from(await up.arrayBuffer());
          res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/octet-stream' }).end(buf);
        },
        () => res.destroy(),
      );
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/init`,
    bodies,
    ciphertexts() {
      const out: string[] = [];
      for (const { contentType, body } of bodies) {
        let fields: Record<string, unknown> = {};
        if (contentType.includes('json')) {
          try {
            fields = JSON.parse(body) as Record<string, unknown>;
          } catch {
            continue;
          }
        } else fields = Object.fromEntries(new URLSearchParams(body));
        for (const k of ['encry_data', 'service']) if (typeof fields[k] === 'string' && fields[k]) out.push(fields[k] as string);
      }
      return out;
    },
    async close() {
      for (const s of sockets) s.destroy();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
