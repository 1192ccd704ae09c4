// Chooses the storage backend from the configuration: PostgreSQL when
// --database-url-file names a URL file, SQLite at --db otherwise. Reads the
// URL file (a secret: its content never appears in an error or a log).
import { readFileSync } from 'node:fs';
import { CpError } from '../errors.ts';
import { pgLeadership, type Leadership } from './leader.ts';
import { describeDatabase, openPostgresStorage } from './postgres.ts';
import { openSqliteStorage } from './sqlite.ts';
import type { Storage } from './types.ts';

/** The backend's name and, for messages, where it stores (never a secret). */
export interface StorageChoice {
  readonly storage: Storage;
  readonly backend: 'sqlite' | 'postgres';
  /** PostgreSQL: who leads among the replicas (null on SQLite: the one process always leads). */
  readonly leadership: Leadership | null;
}

/**
 * Reads a `postgres://` URL from `file`; throws `CP_ERR_CONFIG` naming the
 * flag when the file is unreadable or does not hold one such URL.
 *
 * @example readDatabaseUrl('/run/secrets/cp-database-url') // 'postgres://cp@db.internal/fleet'
 */
export function readDatabaseUrl(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CpError(
      'CP_ERR_CONFIG',
      `--database-url-file: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} (write the postgres:// URL of the state database into it, readable by the CP only)`,
      { flag: 'database-url-file' },
    );
  }
  const url = text.trim();
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (
    parsed === null ||
    !(parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') ||
    parsed.hostname === '' ||
    /\s/.test(url)
  ) {
    throw new CpError(
      'CP_ERR_CONFIG',
      `--database-url-file: ${file} does not hold one postgres://user[:password]@host[:port]/database URL`,
      { flag: 'database-url-file' },
    );
  }
  return url;
}

/**
 * Opens the configured backend (not yet migrated).
 *
 * @example const { storage } = openConfiguredStorage(config); await storage.migrate();
 */
export function openConfiguredStorage(config: {
  readonly dbPath: string;
  readonly databaseUrlFile: string | null;
  readonly commitThread: boolean;
  readonly advertiseUrl?: string | null;
  readonly leaderRetryMs?: number;
}): StorageChoice {
  if (config.databaseUrlFile !== null) {
    const url = readDatabaseUrl(config.databaseUrlFile);
    const leadership = pgLeadership(url, {
      advertiseUrl: config.advertiseUrl ?? null,
      retryMs: config.leaderRetryMs ?? 2_000,
      where: describeDatabase(url),
    });
    return {
      storage: openPostgresStorage(url, { leadership }),
      backend: 'postgres',
      leadership,
    };
  }
  return {
    storage: openSqliteStorage(config.dbPath, { commitThread: config.commitThread }),
    backend: 'sqlite',
    leadership: null,
  };
}
