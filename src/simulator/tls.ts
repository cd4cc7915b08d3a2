/**
 * A throw-away self-signed certificate for `SIM_TLS=1`, made with the `openssl` CLI at start-up
 * (no key material is ever committed). Valid for `localhost` and `127.0.0.1`/`::1`, two days; when
 * the simulator listens beyond loopback, also for this machine's hostname and the listen address, so
 * a client on another host (a compose service reaching `https://simulator:4010`) can verify it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SelfSigned {
  key: string;
  cert: string;
  /** PEM file clients can trust (`MYPAY_CA_FILE`). */
  certPath: string;
  dir: string;
  /** Removes the directory holding the key and certificate. */
  remove(): Promise<void>;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** The names the certificate covers for a simulator listening on `listenHost`. */
export function certificateHosts(listenHost = '127.0.0.1', machine = hostname()): string[] {
  if (LOOPBACK_NAMES.includes(listenHost)) return [...LOOPBACK_NAMES];
  const extra = [machine, ...(WILDCARDS.has(listenHost) ? [] : [listenHost])].filter((h) => h && !LOOPBACK_NAMES.includes(h));
  return [...new Set([...LOOPBACK_NAMES, ...extra])];
}

export async function makeSelfSigned(hosts: readonly string[] = ['localhost', '127.0.0.1', '::1']): Promise<SelfSigned> {
  const dir = await mkdtemp(join(tmpdir(), 'mypay-sim-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  try {
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', keyPath, '-out', certPath, '-days', '2',
      '-subj', '/CN=MYPAY LINK simulator', '-addext', `subjectAltName=${san}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
    ]);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`cannot create the simulator's TLS certificate with openssl (is it on PATH?): ${(err as Error).message}`);
  }
  const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
  // The private key lives in memory only; the directory keeps just the certificate clients trust.
  await rm(keyPath, { force: true });
  return { key, cert, certPath, dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
