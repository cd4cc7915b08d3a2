/**
 * A loopback TCP proxy in front of one port, to take a single process's Redis link down on cue:
 * - `cut()`: every connection is reset and new ones are refused until `restore()` (a crashed switch,
 *   a Redis failover: the client sees the error and reconnects);
 * - `stall()`: connections stay open but nothing passes either way until `restore()`, which then
 *   delivers what was held (a silent partition: TCP keeps the bytes, the client notices nothing).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  url: string;
  /** Connections accepted so far (each ioredis client and its BullMQ duplicates open one or more). */
  accepted(): number;
  cut(): void;
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

type Mode = 'open' | 'cut' | 'stall';

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: Mode = 'open';
  let accepted = 0;
  const pairs = new Set<{ client: Socket; upstream: Socket; held: [Socket, Buffer][] }>();

  const server: Server = createServer((client) => {
    if (mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const upstream = connect({ port: targetPort, host: targetHost });
    const pair = { client, upstream, held: [] as [Socket, Buffer][] };
    pairs.add(pair);
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (mode === 'stall') pair.held.push([to, chunk]);
      else if (!to.destroyed) to.write(chunk);
    };
    client.on('data', forward(upstream));
    upstream.on('data', forward(client));
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    accepted: () => accepted,
    cut() {
      mode = 'cut';
      for (const p of [...pairs]) {
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
      pairs.clear();
    },
    stall() {
      mode = 'stall';
    },
    restore() {
      mode = 'open';
      for (const p of pairs) {
        for (const [to, chunk] of p.held.splice(0)) if (!to.destroyed) to.write(chunk);
      }
    },
    async close() {
      mode = 'cut';
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
