// `nixfleet release`: argv → ReleaseOptions → runRelease → summary and exit
// code (0 released or unchanged, 1 aborted with a typed reason, 2 bad
// arguments). The pipeline itself lives in ts/cli/release/.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  parseTimestamp,
  parseTrustConfig,
  parseTrustConfigBytes,
  type TrustConfig,
} from '../../trust/index.ts';
import { progressReporter, type ProgressReporter } from '../release/progress.ts';
import type { CliIo } from '../io.ts';
import { ReleaseError } from '../release/errors.ts';
import { formatDryRun } from '../release/dry-run.ts';
import {
  parseHostSelection,
  planDryRun,
  runRelease,
  type ReleaseOptions,
  type ReleaseSummary,
} from '../release/pipeline.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { parseAccept, type IrrevocableAccept } from '../release/irrevocable.ts';
import { RELEASE } from '../flags/release.ts';
import { addFlags } from '../flags/table.ts';

/** Raw flags of `nixfleet release`. */
export interface ReleaseFlags {
  fleetFile?: string;
  flake?: string;
  hosts: string;
  signCmd?: string;
  pushCmd?: string;
  signatureAlgorithm: string;
  releaseDir: string;
  ciCommit?: string;
  pinSourceUrl?: string;
  trustFile?: string;
  publicKey?: string;
  now?: string;
  forceResign: boolean;
  gitCommit: boolean;
  gitPush: boolean;
  jobs?: string;
  dryRun?: boolean;
  json: boolean;
  acceptIrrevocableChange?: string[];
  acceptedBy?: string;
}

type Parsed = { ok: true; options: ReleaseOptions } | { ok: false; message: string };

function loadTrust(flags: ReleaseFlags, algorithm: 'ed25519' | 'ecdsa-p256'): TrustConfig | string {
  if (flags.trustFile && flags.publicKey) return '--trust-file and --public-key are exclusive';
  if (flags.trustFile) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(flags.trustFile));
    } catch (e) {
      return `cannot read --trust-file: ${(e as Error).message}`;
    }
    const t = parseTrustConfigBytes(bytes);
    return t.ok ? t.value : `--trust-file ${flags.trustFile}: ${t.error.message}`;
  }
  if (flags.publicKey) {
    const slot = {
      current: { algorithm, public: flags.publicKey },
      previous: null,
      rejectBefore: null,
      successor: null,
      retireAt: null,
    };
    const t = parseTrustConfig({
      schemaVersion: 1,
      ciReleaseKey: slot,
      cacheKeys: [],
      orgRootKey: null,
    });
    return t.ok ? t.value : `--public-key: ${t.error.message}`;
  }
  return 'the smoke verify needs the CI public key: pass --trust-file (trust.json) or --public-key (base64 raw key)';
}

/** The commit checked out at `dir`, or why there is none. */
function gitHead(dir: string): { sha: string } | { problem: string } {
  const git = (args: string[]): string | null => {
    try {
      return execFileSync('git', ['-C', dir, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return null;
    }
  };
  const sha = git(['rev-parse', '--verify', 'HEAD']);
  if (sha) return { sha };
  return {
    problem:
      git(['rev-parse', '--is-inside-work-tree']) === 'true'
        ? `${dir} is a git checkout without a commit yet`
        : `${dir} is not in a git checkout`,
  };
}

/** Validates flags into options; every problem is an argument error (exit 2). */
export function parseReleaseFlags(
  flags: ReleaseFlags,
  io: CliIo,
  report: Pick<ProgressReporter, 'log' | 'progress'>,
): Parsed {
  const fail = (message: string): Parsed => ({ ok: false, message });
  if (!!flags.fleetFile === !!flags.flake)
    return fail('pass exactly one of --fleet-file FILE or --flake DIR');
  if (!flags.signCmd)
    return fail('--sign-cmd is required (e.g. --sign-cmd "nixfleet sign --key ci.key")');
  const algorithm = flags.signatureAlgorithm;
  if (algorithm !== 'ed25519' && algorithm !== 'ecdsa-p256')
    return fail('--signature-algorithm must be ed25519 or ecdsa-p256');
  const hosts = parseHostSelection(flags.hosts);
  if (!hosts)
    return fail(
      `--hosts must be auto, auto:exclude=a,b or a comma-separated list, got ${JSON.stringify(flags.hosts)}`,
    );
  const trust = loadTrust(flags, algorithm);
  if (typeof trust === 'string') return fail(trust);
  let ciCommit = flags.ciCommit;
  if (ciCommit === undefined) {
    // The fleet source's checkout, wherever the command runs from.
    const head = gitHead(
      flags.fleetFile ? dirname(resolve(flags.fleetFile)) : resolve(flags.flake!),
    );
    if ('problem' in head)
      return fail(
        `no --ci-commit and ${head.problem}: pass --ci-commit <sha> (the commit of the fleet source being released), or commit the fleet repository first (git init && git add -A && git commit)`,
      );
    ciCommit = head.sha;
  }
  let now = io.now();
  if (flags.now) {
    const ms = parseTimestamp(flags.now);
    if (ms === null)
      return fail(`--now must be an RFC 3339 UTC timestamp, got ${JSON.stringify(flags.now)}`);
    now = new Date(ms);
  }
  if (flags.gitPush && !flags.gitCommit) return fail('--git-push needs --git-commit');
  let jobs: number | null = null;
  if (flags.jobs !== undefined) {
    if (!/^\d{1,4}$/.test(flags.jobs) || Number(flags.jobs) < 1)
      return fail(`--jobs must be a whole number of at least 1, got ${JSON.stringify(flags.jobs)}`);
    jobs = Number(flags.jobs);
  }
  const acceptIrrevocable: IrrevocableAccept[] = [];
  for (const text of flags.acceptIrrevocableChange ?? []) {
    const a = parseAccept(text);
    if (!a)
      return fail(`--accept-irrevocable-change must be <host>:<name>, got ${JSON.stringify(text)}`);
    acceptIrrevocable.push(a);
  }
  const acceptedBy = flags.acceptedBy ?? process.env['NIXFLEET_ACCEPTED_BY'] ?? null;
  return {
    ok: true,
    options: {
      acceptIrrevocable,
      acceptedBy,
      source: flags.fleetFile
        ? { kind: 'fleet-file', file: resolve(flags.fleetFile) }
        : { kind: 'flake', dir: resolve(flags.flake!) },
      hosts,
      signCmd: flags.signCmd,
      pushCmd: flags.pushCmd ?? null,
      signatureAlgorithm: algorithm,
      releaseDir: resolve(flags.releaseDir),
      ciCommit,
      pinSourceUrl: flags.pinSourceUrl ?? null,
      trust,
      now,
      forceResign: flags.forceResign,
      gitCommit: flags.gitCommit,
      gitPush: flags.gitPush,
      jobs,
      dryRun: flags.dryRun ?? false,
      log: report.log,
      progress: report.progress,
    },
  };
}

function formatSummary(s: ReleaseSummary, releaseDir: string): string {
  const lines = [
    s.reused
      ? `release unchanged (${s.reason}): ${releaseDir}`
      : `released ${s.ciCommit.slice(0, 12)} at ${s.signedAt} to ${releaseDir}`,
    ...Object.entries(s.closures)
      .sort()
      .map(([h, c]) => `  ${h.padEnd(24)} ${c}`),
  ];
  if (s.rollouts.length > 0) lines.push(`rollouts: ${s.rollouts.join(', ')}`);
  if (s.unwavedHosts.length > 0)
    lines.push(`not in any wave (no rollout): ${s.unwavedHosts.join(', ')}`);
  if (s.droppedPins.length > 0) lines.push(`expired pins dropped: ${s.droppedPins.join(', ')}`);
  if (s.prunedNonces > 0) lines.push(`expired bootstrap nonces pruned: ${s.prunedNonces}`);
  return `${lines.join('\n')}\n`;
}

/** Runs `nixfleet release` with parsed flags. */
export async function releaseCommand(io: CliIo, flags: ReleaseFlags): Promise<ExitCode> {
  const report = progressReporter({
    writeLine: (line) => io.stderr(line),
    statusLine: io.statusLine,
    now: () => io.now().getTime(),
  });
  const parsed = parseReleaseFlags(flags, io, report);
  if (!parsed.ok) {
    report.stop();
    io.stderr(`nixfleet release: ${parsed.message}`);
    return EXIT.error;
  }
  try {
    if (parsed.options.dryRun) {
      const plan = await planDryRun(parsed.options);
      report.stop();
      io.stdout(flags.json ? `${JSON.stringify(plan, null, 2)}\n` : formatDryRun(plan));
      return EXIT.ok;
    }
    const summary = await runRelease(parsed.options);
    report.stop();
    io.stdout(
      flags.json
        ? `${JSON.stringify(summary, null, 2)}\n`
        : formatSummary(summary, parsed.options.releaseDir),
    );
    return EXIT.ok;
  } catch (e) {
    report.stop();
    if (e instanceof ReleaseError) {
      io.stderr(
        `nixfleet release: ${e.code}: ${e.message}\nnothing was written; the previous release is unchanged.`,
      );
      return e.code === 'RELEASE_ERR_ARGS' ? EXIT.error : EXIT.rejected;
    }
    throw e;
  }
}

/** Adds `release`. */
export function registerRelease(
  program: Command,
  ctx: { readonly io: CliIo; readonly setExit: (c: ExitCode) => void },
): void {
  addFlags(
    program
      .command('release')
      .description('evaluate, build, push, sign and write a release directory (all or nothing)'),
    RELEASE,
  ).action(async (flags: ReleaseFlags) => ctx.setExit(await releaseCommand(ctx.io, flags)));
}
