// The control-plane command line every CP process of the benchmarks and the
// process-level tests starts from: the entry point, loopback listen address,
// the test PKI, trust, a SQLite file (or, for a replica, a PostgreSQL URL
// file and the URL it advertises) and a release directory. Each caller
// appends the timing flags it needs.
import { join, resolve } from 'node:path';
import type { TestPki } from './pki.ts';

const root = resolve(import.meta.dirname, '../../..');

export interface CpServeOptions {
  readonly port: number;
  readonly pki: TestPki;
  readonly trustFile: string;
  readonly db: string;
  readonly releaseDir: string;
  /**
   * A replica on PostgreSQL: the file holding the database URL (`--db`'s
   * directory still holds its issuance log and release cache, so each
   * replica needs its own) and the URL it advertises.
   */
  readonly postgres?: { readonly databaseUrlFile: string };
}

/** `bin/nixfleet-control-plane.mjs serve …` up to and including `--release-dir` (and the replica's flags). */
export function cpServeArgs(o: CpServeOptions): string[] {
  return [
    join(root, 'bin/nixfleet-control-plane.mjs'),
    'serve',
    '--listen',
    `127.0.0.1:${o.port}`,
    '--tls-cert',
    o.pki.serverCertFile,
    '--tls-key',
    o.pki.serverKeyFile,
    '--fleet-ca-cert',
    o.pki.caCertFile,
    '--fleet-ca-key',
    o.pki.caKeyFile,
    '--trust-file',
    o.trustFile,
    '--db',
    o.db,
    '--release-dir',
    o.releaseDir,
    ...(o.postgres === undefined
      ? []
      : [
          '--database-url-file',
          o.postgres.databaseUrlFile,
          '--advertise-url',
          `https://127.0.0.1:${o.port}`,
        ]),
  ];
}
