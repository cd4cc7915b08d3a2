/** Starts an HTTP server and gives back its URL and a close that does not wait for idle keep-alives. */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MypayError } from '../domain/errors.js';

/** The port is taken (or not ours to open): a configuration problem, said in one line. */
export class PortUnavailableError extends MypayError {
  readonly code = 'PORT_UNAVAILABLE';
  readonly retryable = false;
  readonly httpStatus = 500;
  readonly title = 'Port unavailable';
}

export interface Listening {
  server: Server;
  port: number;
  /** `http://<host>:<port>`, with `localhost` for a wildcard host so it can be clicked. */
  url: string;
  close(): Promise<void>;
}

/** `variable` names the setting that chose the port, for the message (PORT, METRICS_PORT, …). */
export async function listen(handler: RequestListener, port: number, host: string, variable = 'PORT'): Promise<Listening> {
  const server = createServer(handler);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new PortUnavailableError(`${variable}=${port}: ${host}:${port} is already in use by another process — stop it or choose another ${variable}`));
      else if (err.code === 'EACCES') reject(new PortUnavailableError(`${variable}=${port}: not allowed to listen on ${host}:${port} (ports below 1024 need privileges) — choose another ${variable}`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new PortUnavailableError(`HOST=${host}: no such address on this machine`));
      else reject(err);
    });
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port: actual,
    url: `http://${shownHost}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
