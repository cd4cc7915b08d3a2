/**
 * A throw-away self-signed certificate for 127.0.0.1 / localhost, made by the `openssl` CLI (no npm
 * dependency). One per call, in its own temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSigned {
  key: Buffer;
  cert: Buffer;
  /** PEM path of the certificate (usable as MYPAY_CA_FILE). */
  certFile: string;
  cleanup(): void;
}

export function makeSelfSignedCert(commonName = 'localhost'): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'mypay-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-keyout', keyFile, '-out', certFile,
      '-subj', `/CN=${commonName}`,
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  );
  return {
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    certFile,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
