/**
 * A throwaway certificate authority made with `openssl` for encrypted-DNS tests: a CA and
 * server certificates for reserved names (kalkan.test, *.kalkan.test) and 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCa {
  /** The CA certificate (PEM), the trust anchor clients are given. */
  caFile: string;
  /** Issues a server certificate for `names` (and 127.0.0.1): its PEM files. */
  issue(base: string, names?: string[]): Promise<{ cert: string; key: string }>;
}

export const SERVICE_NAME = 'kalkan.test';

export async function makeTestCa(dir: string): Promise<TestCa> {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', caKey, '-out', caFile, '-days', '2', '-subj', '/CN=Kalkan test CA'],
  ]);
  let serial = 1;
  return {
    caFile,
    async issue(base, names = [SERVICE_NAME, `*.${SERVICE_NAME}`]) {
      const key = join(dir, `${base}.key`);
      const cert = join(dir, `${base}.pem`);
      const csr = join(dir, `${base}.csr`);
      const ext = join(dir, `${base}.ext`);
      await run('openssl', [
        ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
        ...['-keyout', key, '-out', csr, '-subj', `/CN=${names[0]}`],
      ]);
      await writeFile(
        ext,
        `subjectAltName=${[...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
      );
      await run('openssl', [
        ...[
          'x509',
          '-req',
          '-in',
          csr,
          '-CA',
          caFile,
          '-CAkey',
          caKey,
          '-set_serial',
          String(serial++),
        ],
        ...['-out', cert, '-days', '2', '-extfile', ext],
      ]);
      return { cert, key };
    },
  };
}

/** base64 SHA-256 of a certificate's public key (Chromium's --ignore-certificate-errors-spki-list). */
export async function spkiHash(certFile: string): Promise<string> {
  const x509 = new X509Certificate(await readFile(certFile));
  const spki = x509.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
