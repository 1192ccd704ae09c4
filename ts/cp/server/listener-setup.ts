// What the HTTP/2 listener needs before it can start, and what each failure
// tells the operator to fix. A flag not given or a path that does not exist
// is a configuration error (CP_ERR_CONFIG, exit 2: fix the flag); a file
// that is there but cannot be read, or an address that cannot be bound, is
// a start failure (CP_ERR_START_FAILED, exit 1). Never puts key bytes in an
// error.
import { readFileSync } from 'node:fs';
import type { CpConfig } from '../config.ts';
import { CpError } from '../errors.ts';

/** The bytes the HTTP/2 listener needs. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa: Buffer | null;
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
