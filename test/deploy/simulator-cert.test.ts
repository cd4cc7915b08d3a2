/**
 * The simulator's certificate names the host clients reach it by when it listens beyond loopback
 * (docker-compose.yml: api/worker verify `https://simulator:4010` against the shared certificate).
 */
import { hostname } from 'node:os';
import { connect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSimulator } from '../../src/simulator/index.js';
import { certificateHosts } from '../../src/simulator/tls.js';

describe('simulator certificate names', () => {
  it('loopback only when listening on loopback; plus the hostname and a named listen address otherwise', () => {
    expect(certificateHosts('127.0.0.1', 'simulator')).toEqual(['localhost', '127.0.0.1', '::1']);
    expect(certificateHosts('0.0.0.0', 'simulator')).toEqual(['localhost', '127.0.0.1', '::1', 'simulator']);
    expect(certificateHosts('10.1.2.3', 'simulator')).toEqual(['localhost', '127.0.0.1', '::1', 'simulator', '10.1.2.3']);
  });

  it('a client verifying the name `hostname()` against the shared certificate connects', async () => {
    // A listen address that is not the loopback name (compose uses 0.0.0.0); still on loopback here.
    const sim = await createSimulator({ tls: true, host: '127.0.0.2' });
    try {
      expect(new X509Certificate(sim.ca!).subjectAltName).toContain(`DNS:${hostname()}`);
      expect(new X509Certificate(sim.ca!).subjectAltName).toContain('IP Address:127.0.0.2');
      const authorized = await new Promise<boolean>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.2', port: sim.port, servername: hostname(), ca: sim.ca, minVersion: 'TLSv1.2' }, () => {
          resolve(socket.authorized);
          socket.end();
        });
        socket.once('error', reject);
      });
      expect(authorized).toBe(true);
    } finally {
      await sim.close();
    }
  });
});
