// `nixfleet audit <host> --from <day> --to <day>`: the auditor's statement
// (docs/auditor.md). Reads the release history, trust.json and host-signed
// evidence, hands the bytes to the pure core (ts/core/audit) and prints what
// it verified: text, `--json` (contracts/audit-statement.nix) and, with
// `--html <file>`, a self-contained report. Needs no control plane.
// Exit 0 statement verified (whatever it says), 1 refused (AUDIT_ERR_*),
// 2 bad arguments or unreadable input.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { validateContract } from '../../contracts/index.ts';
import { auditStatement, checkRange, type AuditRelease } from '../../core/audit/index.ts';
import { parseTimestamp } from '../../trust/index.ts';
import { evidenceFrom, releasesFromDir, releasesFromGit, trustFrom } from '../audit/read.ts';
import { renderHtml, renderText } from '../audit/render.ts';
import { CliError, exitCodeFor, formatCliError, isCliError } from '../errors.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import type { OperatorCtx } from './operator-context.ts';
import { AUDIT } from '../flags/release.ts';
import { addFlags } from '../flags/table.ts';

/** Flags of `nixfleet audit`. */
export interface AuditFlags {
  readonly from: string;
  readonly to: string;
  readonly trust: string;
  readonly trustSha256?: string;
  readonly releaseGit?: readonly string[];
  readonly releaseDir?: readonly string[];
  readonly evidence?: readonly string[];
  readonly now?: string;
  readonly json?: boolean;
  readonly html?: string;
}

const usage = (message: string, hint: string): CliError =>
  new CliError('AUDIT_ERR_USAGE', message, { hint });

/**
 * Runs `nixfleet audit`.
 *
 * @example await auditCommand(ctx, 'web-01', { from: '2026-05-16', to: '2026-05-17', trust: 'trust.json', releaseGit: ['releases'], evidence: ['evidence/'] })
 */
export async function auditCommand(
  ctx: OperatorCtx,
  host: string,
  o: AuditFlags,
): Promise<ExitCode> {
  const path = (p: string): string => resolve(ctx.cwd, p);
  try {
    const now = o.now === undefined ? ctx.io.now() : parseTimestamp(o.now);
    if (now === null)
      throw usage(
        `--now ${o.now} is not an RFC 3339 UTC timestamp`,
        'e.g. --now 2026-05-18T00:00:00Z',
      );
    const at = typeof now === 'number' ? new Date(now) : now;
    const range = checkRange(o.from, o.to, at);
    if ('code' in range) throw new CliError(range.code, range.message, { hint: range.fix });
    if ((o.releaseGit ?? []).length + (o.releaseDir ?? []).length === 0)
      throw usage(
        'no release history given',
        'give --release-git <release dir in a git checkout> or --release-dir <dir>',
      );
    if ((o.evidence ?? []).length === 0)
      throw usage(
        'no evidence given',
        'give --evidence <file or directory> (repeatable): host evidence files or `nixfleet rollout events <id> --json` exports',
      );
    const releases: AuditRelease[] = [];
    for (const g of o.releaseGit ?? []) releases.push(...(await releasesFromGit(path(g))));
    for (const d of o.releaseDir ?? []) releases.push(...releasesFromDir(path(d)));
    const evidence = (o.evidence ?? []).flatMap((e) => evidenceFrom(path(e)));
    const r = auditStatement(
      {
        host,
        from: o.from,
        to: o.to,
        trust: trustFrom(path(o.trust)),
        ...(o.trustSha256 === undefined ? {} : { trustSha256: o.trustSha256 }),
        releases,
        evidence,
      },
      at,
    );
    if (!r.ok) {
      throw new CliError(r.error.code, `${r.error.input}: ${r.error.message}`, {
        hint: r.error.fix,
        context: { input: r.error.input },
      });
    }
    const checked = validateContract('audit-statement', r.value);
    if (!checked.ok)
      throw new Error(`audit statement violates its contract: ${JSON.stringify(checked.errors)}`);
    if (o.html !== undefined) {
      try {
        writeFileSync(path(o.html), renderHtml(r.value));
      } catch (e) {
        throw new CliError('AUDIT_ERR_INPUT', `--html ${o.html}: ${(e as Error).message}`, {
          hint: 'choose a writable path',
        });
      }
    }
    ctx.io.stdout(o.json ? `${JSON.stringify(r.value, null, 2)}\n` : renderText(r.value));
    return EXIT.ok;
  } catch (e) {
    if (!isCliError(e)) throw e;
    if (o.json) {
      ctx.io.stdout(
        `${JSON.stringify({ ok: false, error: { code: e.code, message: e.message, fix: e.hint, ...e.context } }, null, 2)}\n`,
      );
    }
    ctx.io.stderr(formatCliError('audit', e));
    return exitCodeFor(e);
  }
}

/**
 * Adds `audit`.
 *
 * @example registerAudit(program, ctx)
 */
export function registerAudit(program: Command, ctx: OperatorCtx): void {
  addFlags(
    program
      .command('audit <host>')
      .description(
        "the auditor's statement: per UTC day, the closure a host ran, its commit and its controls, from signed material only (exit 0 verified, 1 refused, 2 usage/I/O)",
      ),
    AUDIT,
  ).action(async (host: string, o: AuditFlags) => ctx.setExit(await auditCommand(ctx, host, o)));
}
