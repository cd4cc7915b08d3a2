/**
 * A loopback TCP proxy between one worker process and Redis that fires on a command: when a chunk
 * from the worker contains `pattern` (e.g. the arguments of the claim before a POST), that chunk is
 * forwarded and `onMatch` runs at once — to hold every byte in both directions from then on (a
 * partition right after the claim reached Redis) or to SIGSTOP the worker. `release()` delivers what
 * was held, in order. Armed once per `arm()`.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TriggerProxy {
  url: string;
  arm(pattern: string, onMatch: () => void): void;
  /** Hold every byte in both directions until {@link release}. */
  hold(): void;
  release(): void;
  fired(): boolean;
  close(): Promise<void>;
}

export async function startTriggerProxy(targetPort: number): Promise<TriggerProxy> {
  let holding = false;
  let armed: { pattern: Buffer; onMatch: () => void } | undefined;
  let fired = false;
  const held: [Socket, Buffer][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ port: targetPort, host: '127.0.0.1' });
    sockets.add(client).add(upstream);
    const send = (to: Socket, chunk: Buffer) => {
      if (holding) held.push([to, chunk]);
      else if (!to.destroyed) to.write(chunk);
    };
    client.on('data', (chunk: Buffer) => {
      send(upstream, chunk);
      if (armed && chunk.includes(armed.pattern)) {
        const { onMatch } = armed;
        armed = undefined;
        fired = true;
        onMatch();
      }
    });
    upstream.on('data', (chunk: Buffer) => send(client, chunk));
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    arm(pattern, onMatch) {
      armed = { pattern: Buffer.from(pattern), onMatch };
      fired = false;
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      for (const [to, chunk] of held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    fired: () => fired,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
