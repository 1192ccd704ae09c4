// What the HTTP/2 listener needs before it can start, and what each failure
// tells the operator to fix. A flag not given or a path that does not exist
// is a configuration error (CP_ERR_CONFIG, exit 2: fix the flag); a file
// that is there but cannot be read, or an address that cannot be bound, is
// a start failure (CP_ERR_START_FAILED, exit 1). Never puts key bytes in an
// error.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { CpConfig } from '../config.ts';
import { CpError } from '../errors.ts';

/** The bytes the HTTP/2 listener needs. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa: Buffer | null;
  /** TLS session ticket keys (48 bytes); null: per-process keys. */
  readonly ticketKeys: Buffer | null;
}

/** Size of Node's ticket keys: 16 bytes name, 16 HMAC, 16 AES. */
export const TICKET_KEYS_BYTES = 48;

/**
 * The ticket keys at `path`, created (48 random bytes, mode 0600, never
 * overwritten) when the file does not exist. A file of another size, or one
 * others may read, is refused: whoever holds the keys can resume any
 * client's session whose ticket they observed.
 */
export function readTicketKeys(path: string): Buffer {
  try {
    writeFileSync(path, randomBytes(TICKET_KEYS_BYTES), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (code !== 'EEXIST') {
      throw new CpError(
        'CP_ERR_START_FAILED',
        `--tls-ticket-keys ${path} cannot be created (${code}); make its directory writable by the control plane's user or point --tls-ticket-keys at an existing key file`,
        { flag: 'tls-ticket-keys', path, errno: code },
        { cause: e },
      );
    }
  }
  const keys = readNamed(
    'tls-ticket-keys',
    path,
    'a file of 48 random bytes (head -c 48 /dev/urandom)',
  );
  if (keys.length !== TICKET_KEYS_BYTES) {
    throw new CpError(
      'CP_ERR_CONFIG',
      `--tls-ticket-keys ${path} holds ${keys.length} bytes, not ${TICKET_KEYS_BYTES}; replace it with 48 random bytes (head -c 48 /dev/urandom > ${path}) or delete it to have one created`,
      { flag: 'tls-ticket-keys', path, bytes: keys.length },
    );
  }
  if ((statSync(path).mode & 0o007) !== 0) {
    throw new CpError(
      'CP_ERR_CONFIG',
      `--tls-ticket-keys ${path} is accessible to every user; chmod o-rwx ${path} (or 0600) and rotate it: anyone who read it can resume the sessions it protects`,
      { flag: 'tls-ticket-keys', path },
    );
  }
  return keys;
}

function readNamed(flag: string, path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') {
      throw new CpError(
        'CP_ERR_CONFIG',
        `--${flag} ${path} does not exist; point --${flag} at ${what}`,
        { flag, path, errno: code },
      );
    }
    throw new CpError(
      'CP_ERR_START_FAILED',
      `--${flag} ${path} cannot be read (${code}); make it a regular file readable by the control plane's user`,
      { flag, path, errno: code },
      { cause: e },
    );
  }
}

/**
 * The listener's certificate, key and client CA, read now.
 *
 * @example const { cert, key, clientCa } = readTlsMaterial(config);
 */
export function readTlsMaterial(config: CpConfig): TlsMaterial {
  if (config.tlsCert === null || config.tlsKey === null) {
    throw new CpError(
      'CP_ERR_CONFIG',
      'serve needs --tls-cert and --tls-key: set them to the server certificate and its private key (PEM)',
      {
        missing: [
          config.tlsCert === null ? 'tls-cert' : null,
          config.tlsKey === null ? 'tls-key' : null,
        ].filter(Boolean),
      },
    );
  }
  return {
    cert: readNamed('tls-cert', config.tlsCert, 'the server certificate (PEM)'),
    key: readNamed('tls-key', config.tlsKey, "the server certificate's private key (PEM)"),
    clientCa:
      config.clientCa === null
        ? null
        : readNamed('client-ca', config.clientCa, 'the fleet CA certificate (PEM)'),
    ticketKeys: config.tlsTicketKeys === null ? null : readTicketKeys(config.tlsTicketKeys),
  };
}

/**
 * The start failure for a listener that could not bind, with the fix for
 * the usual causes.
 *
 * @example throw listenFailure('127.0.0.1', 8443, 'EADDRINUSE', 'listen EADDRINUSE …');
 */
export function listenFailure(host: string, port: number, code: string, message: string): CpError {
  const address = `${host}:${port}`;
  const why =
    code === 'EADDRINUSE'
      ? `${address} is already in use; stop the process holding it or choose another --listen`
      : code === 'EACCES'
        ? `no permission to bind ${address}; use a port above 1024 or grant CAP_NET_BIND_SERVICE`
        : code === 'EADDRNOTAVAIL'
          ? `${address} is not an address of this machine; fix --listen`
          : `${address}: ${message}; check --listen, --tls-cert and --tls-key`;
  return new CpError('CP_ERR_START_FAILED', `cannot listen: ${why}`, { code, address });
}
