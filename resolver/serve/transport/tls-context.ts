/**
 * The certificate and key the DoT and DoH listeners share, read from PEM files and read again
 * when they change (certbot and other ACME clients replace them in place or through symlinks):
 * the folders holding them are watched, changes are debounced, and a new pair that does not
 * load (half-written, key not matching the certificate) is logged loudly while the old one stays
 * in force. A swap goes to every listener through server.setSecureContext, so established
 * connections keep going and new ones get the new certificate.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

export interface TlsFiles {
  cert: string;
  key: string;
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
  /** The DNS names (subjectAltName) the certificate is for. */
  names: string[];
  notAfter: string;
}

/** TLS 1.2 and later only (RFC 8310 §5, RFC 9325). */
export const MIN_TLS_VERSION = 'TLSv1.2';
const DEBOUNCE_MS = 500;

/** Reads and checks a pair: throws an Error naming the file and the problem. */
export async function loadTlsPair(files: TlsFiles): Promise<TlsPair> {
  const read = (what: string, path: string) =>
    readFile(path).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`${what} ${path}: cannot read: ${error.code ?? error.message}`);
    });
  const [cert, key] = await Promise.all([read('certificate', files.cert), read('key', files.key)]);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (error) {
    throw new Error(
      `certificate ${files.cert}: not a PEM certificate (${(error as Error).message})`,
    );
  }
  try {
    createSecureContext({ cert, key, minVersion: MIN_TLS_VERSION });
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(
      /mismatch/i.test(message)
        ? `key ${files.key} does not match certificate ${files.cert}`
        : `key ${files.key}: ${message}`,
    );
  }
  const names = (x509.subjectAltName ?? '')
    .split(', ')
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4).toLowerCase());
  return { cert, key, names, notAfter: x509.validTo };
}

export interface TlsLog {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The pair in force and the listeners to tell when it changes. */
export class TlsCertificate {
  private readonly servers = new Set<{ setSecureContext(options: SecureContextOptions): void }>();
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Kept across swaps, so session tickets issued before a renewal still resume. */
  private readonly ticketKeys = randomBytes(48);

  private constructor(
    private readonly files: TlsFiles,
    private pair: TlsPair,
    private readonly log: TlsLog,
  ) {}

  static async load(files: TlsFiles, log: TlsLog): Promise<TlsCertificate> {
    return new TlsCertificate(files, await loadTlsPair(files), log);
  }

  get names(): readonly string[] {
    return this.pair.names;
  }

  /** The options every TLS listener starts with (and gets again on a swap). */
  options(): SecureContextOptions & { ticketKeys: Buffer } {
    return {
      cert: this.pair.cert,
      key: this.pair.key,
      minVersion: MIN_TLS_VERSION,
      ticketKeys: this.ticketKeys,
    };
  }

  /** A listener whose context is swapped on every good reload. */
  attach(server: { setSecureContext(options: SecureContextOptions): void }): void {
    this.servers.add(server);
  }

  watch(): void {
    for (const dir of new Set([dirname(this.files.cert), dirname(this.files.key)])) {
      const watcher = watch(dir, () => {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.reload(), DEBOUNCE_MS);
      });
      watcher.on('error', (error) =>
        this.log.error({ dir, err: error.message }, 'tls: cannot watch'),
      );
      this.watchers.push(watcher);
    }
  }

  /** Reads the files again; a bad pair leaves the one in force. */
  async reload(): Promise<boolean> {
    let pair: TlsPair;
    try {
      pair = await loadTlsPair(this.files);
    } catch (error) {
      this.log.error(
        { err: (error as Error).message, keeping: this.pair.notAfter },
        'tls: new certificate/key NOT loaded; the previous pair stays in force',
      );
      return false;
    }
    if (pair.cert.equals(this.pair.cert) && pair.key.equals(this.pair.key)) return true;
    this.pair = pair;
    for (const server of this.servers) server.setSecureContext(this.options());
    this.log.info({ names: pair.names, notAfter: pair.notAfter }, 'tls: certificate reloaded');
    return true;
  }

  close(): void {
    clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
  }
}
