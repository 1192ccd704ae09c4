// `nixfleet host revoke <host>`: the fleet's revocation entry for a host
// (its certificates issued before `notBefore` are refused by the CP). The
// control plane has no write path for revocations: they are a sidecar CI
// signs from fleet.nix on the next release. So this command edits the JSON
// list fleet.nix reads (`--file`), or prints the entry to paste; committing
// and releasing is what makes it count.
import type { Command } from 'commander';
import { formatTimestamp, parseTimestamp } from '../../trust/index.ts';
import { absolutePath } from '../config/config-file.ts';
import { CliError } from '../errors.ts';
import { readJsonList, writeJsonList } from '../fleet/json-list.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { hostAddCommand, type HostAddOptions } from './host-add.ts';
import { reportError, type OperatorCtx } from './operator-context.ts';
import { HOST_ADD, HOST_REVOKE } from '../flags/fleet.ts';
import { addFlags } from '../flags/table.ts';

/** Options of {@link hostRevokeCommand}. */
export interface HostRevokeOptions {
  readonly reason?: string;
  readonly revokedBy?: string;
  readonly notBefore?: string;
  readonly file?: string;
}

/** A revocation entry as fleet.nix `revocations` takes it. */
export interface RevocationEntry {
  readonly hostname: string;
  readonly notBefore: string;
  readonly reason: string | null;
  readonly revokedBy: string | null;
  readonly [extra: string]: unknown;
}

const HOSTNAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** The entry as a Nix attribute set, for fleet.nix `revocations`. */
export function revocationSnippet(e: RevocationEntry): string {
  const s = (v: string | null): string => (v === null ? 'null' : JSON.stringify(v));
  return [
    '{',
    `  hostname = ${s(e.hostname)};`,
    `  notBefore = ${s(e.notBefore)};`,
    `  reason = ${s(e.reason)};`,
    `  revokedBy = ${s(e.revokedBy)};`,
    '}',
  ].join('\n');
}

/**
 * The list with `entry` for its host: replaces the host's entry, sorted by
 * hostname. Refuses to move a host's notBefore back: that would lift the
 * revocation of the certificates issued in between.
 */
export function withRevocation(
  list: readonly Record<string, unknown>[],
  entry: RevocationEntry,
  file: string,
): Record<string, unknown>[] {
  const old = list.find((e) => e['hostname'] === entry.hostname);
  const oldAt = typeof old?.['notBefore'] === 'string' ? parseTimestamp(old['notBefore']) : null;
  const newAt = parseTimestamp(entry.notBefore) as number;
  if (oldAt !== null && newAt < oldAt) {
    throw new CliError(
      'CLI_ERR_USAGE',
      `${file} already revokes ${entry.hostname} before ${String(old?.['notBefore'])}; --not-before ${entry.notBefore} would lift that for the certificates issued in between`,
      { hint: 'give a --not-before at or after the current one, or edit the file by hand' },
    );
  }
  return [...list.filter((e) => e['hostname'] !== entry.hostname), { ...entry }].sort((a, b) =>
    String(a['hostname']).localeCompare(String(b['hostname'])),
  );
}

/**
 * Builds the host's revocation entry; with `--file` writes it into the list,
 * else prints it as Nix on stdout.
 *
 * @example hostRevokeCommand(ctx, 'web-03', { reason: 'disk replaced', file: 'revocations.json' })
 */
export function hostRevokeCommand(ctx: OperatorCtx, host: string, o: HostRevokeOptions): ExitCode {
  try {
    if (!HOSTNAME.test(host)) {
      throw new CliError(
        'CLI_ERR_USAGE',
        `${JSON.stringify(host)} is not a host name ([a-z0-9][a-z0-9._-]*)`,
      );
    }
    let notBefore: string;
    if (o.notBefore === undefined) {
      notBefore = formatTimestamp(Math.floor(ctx.io.now().getTime() / 1000) * 1000);
    } else {
      if (!TIMESTAMP.test(o.notBefore) || parseTimestamp(o.notBefore) === null) {
        throw new CliError(
          'CLI_ERR_USAGE',
          `--not-before ${JSON.stringify(o.notBefore)} is not an RFC 3339 UTC timestamp`,
          { hint: 'e.g. 2026-05-01T00:00:00Z (whole seconds, Z); default: now' },
        );
      }
      notBefore = o.notBefore;
    }
    if (o.reason !== undefined && o.reason.trim() === '') {
      throw new CliError('CLI_ERR_USAGE', '--reason is empty', {
        hint: 'say why, or leave the flag out',
      });
    }
    const entry: RevocationEntry = {
      hostname: host,
      notBefore,
      reason: o.reason ?? null,
      revokedBy: o.revokedBy ?? ctx.env['USER'] ?? null,
    };
    if (o.file === undefined) {
      ctx.io.stdout(`${revocationSnippet(entry)}\n`);
      ctx.io.stderr(
        'Add to fleet.nix `revocations`, commit and release: the CP refuses the host once it adopts the signed revocations.json.',
      );
      return EXIT.ok;
    }
    const file = absolutePath(o.file, ctx.cwd, ctx.env['HOME']);
    writeJsonList(file, withRevocation(readJsonList(file, '--file'), entry, file));
    ctx.io.stderr(
      `${host}: certificates issued before ${notBefore} revoked in ${file}; commit and release (CI signs revocations.json), then re-enroll the host with a new bootstrap token (docs/operators.md).`,
    );
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, 'host revoke', e);
  }
}

/**
 * Adds `host add` and `host revoke`.
 *
 * @example registerHost(program, ctx)
 */
export function registerHost(program: Command, ctx: OperatorCtx): void {
  const host = program.command('host').description('fleet entries for one host');
  addFlags(
    host
      .command('add <host>')
      .description(
        'add a host: its fleet entry (hosts.json with --write, else printed), SSH host key, bootstrap token and nonce',
      ),
    HOST_ADD,
  ).action((name: string, o: HostAddOptions) => ctx.setExit(hostAddCommand(ctx, name, o)));
  addFlags(
    host
      .command('revoke <host>')
      .description(
        "revoke a host's certificates: write its entry into the fleet's revocations list (--file) or print it",
      ),
    HOST_REVOKE,
  ).action((name: string, o: HostRevokeOptions) => ctx.setExit(hostRevokeCommand(ctx, name, o)));
}
