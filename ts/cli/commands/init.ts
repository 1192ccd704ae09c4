// `nixfleet init [dir]`: a fleet repository an operator can commit, with
// everything the first release, the control plane and the CLI need. The
// files are ts/cli/init (scaffold.ts, templates.ts); this is flags and output.
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { absolutePath } from '../config/config-file.ts';
import { CliError } from '../errors.ts';
import { scaffoldFleet, pathIn, type InitPlan } from '../init/scaffold.ts';
import { HOST_NAME, LAYOUT } from '../init/templates.ts';
import { OPERATOR_NAME } from '../pki/operator-cert.ts';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { reportError, type OperatorCtx } from './operator-context.ts';
import { INIT } from '../flags/keys.ts';
import { addFlags } from '../flags/table.ts';

const LIB = fileURLToPath(new URL('../../../lib', import.meta.url));

/** Options of {@link initCommand}. */
export interface InitOptions {
  readonly hosts: string;
  readonly cpUrl: string;
  /** Repeatable; absent when not given. */
  readonly dns?: readonly string[];
  readonly ip?: readonly string[];
  readonly operator?: string;
  readonly configOut?: string;
  readonly force?: boolean;
}

function plan(ctx: OperatorCtx, dirArg: string | undefined, o: InitOptions): InitPlan {
  const home = ctx.env['HOME'];
  const dir = absolutePath(dirArg ?? '.', ctx.cwd, home);
  const hosts = o.hosts.split(',').map((h) => h.trim());
  const bad = hosts.find((h) => !HOST_NAME.test(h));
  if (bad !== undefined || new Set(hosts).size !== hosts.length) {
    throw new CliError(
      'CLI_ERR_USAGE',
      `--hosts ${JSON.stringify(o.hosts)}: distinct host names (a-z, 0-9, -), comma-separated`,
    );
  }
  let cpUrl: URL;
  try {
    cpUrl = new URL(o.cpUrl);
  } catch {
    cpUrl = new URL('invalid:');
  }
  if (cpUrl.protocol !== 'https:' || cpUrl.hostname === '') {
    throw new CliError(
      'CLI_ERR_USAGE',
      `--cp-url ${JSON.stringify(o.cpUrl)} is not an https:// URL`,
      {
        hint: 'pass the URL agents and operators will use, e.g. https://cp.example.org:8443',
      },
    );
  }
  const operator = o.operator ?? ctx.env['USER'] ?? 'admin';
  if (!OPERATOR_NAME.test(operator)) {
    throw new CliError(
      'CLI_ERR_USAGE',
      `--operator ${JSON.stringify(operator)}: letters, digits, . _ @ - (at most 63)`,
    );
  }
  return {
    dir,
    configOut: absolutePath(o.configOut ?? `${dir}/${LAYOUT.config}`, ctx.cwd, home),
    hosts,
    cpUrl,
    extraDns: o.dns ?? [],
    extraIps: o.ip ?? [],
    operator,
    now: ctx.io.now(),
    force: o.force === true,
  };
}

/**
 * Scaffolds the fleet directory and prints the next three commands.
 *
 * @example await initCommand(ctx, 'my-fleet', { hosts: 'web-01,web-02,web-03', cpUrl: 'https://localhost:8443', dns: [], ip: [] })
 */
export async function initCommand(
  ctx: OperatorCtx,
  dirArg: string | undefined,
  o: InitOptions,
): Promise<ExitCode> {
  try {
    const p = plan(ctx, dirArg, o);
    const files = await scaffoldFleet(p);
    const rel = (f: string): string => relative(p.dir, f) || '.';
    const at = (k: keyof typeof LAYOUT): string => rel(pathIn(p, k));
    ctx.io.stderr(
      `nixfleet init: ${p.dir}: ${p.hosts.length} hosts (${p.hosts.join(', ')}), operator ${p.operator}\n` +
        files.map((f) => `  ${rel(f)}`).join('\n') +
        `\n  private keys are mode 0600 and listed in .gitignore; commit the rest.`,
    );
    const listen = `${p.cpUrl.hostname.replace(/^\[(.*)\]$/, '$1')}:${p.cpUrl.port || '443'}`;
    ctx.io.stdout(
      [
        `# Next, in ${p.dir}:`,
        `# 1. release: evaluate, build, sign (commit first, or pass --ci-commit <sha>)`,
        `nixfleet release --fleet-file ${at('fleet')} --trust-file ${at('trust')} --release-dir releases --sign-cmd "nixfleet sign --key ${at('ciReleaseKey')}"`,
        `# 2. the control plane, serving that release`,
        `nixfleet-control-plane serve --listen ${listen} --tls-cert ${at('serverCert')} --tls-key ${at('serverKey')} --fleet-ca-cert ${at('caCert')} --fleet-ca-key ${at('caKey')} --trust-file ${at('trust')} --release-dir releases --db state/cp.db`,
        `# 3. the fleet as the CP sees it`,
        `NIXFLEET_CONFIG=${p.configOut} nixfleet status`,
        `# (evaluate fleet.nix alone: nix-instantiate --eval --strict --json -E 'import ./fleet.nix (import ${LIB})' -A resolved)`,
        '',
      ].join('\n'),
    );
    return EXIT.ok;
  } catch (e) {
    return reportError(ctx, 'init', e);
  }
}

/**
 * Adds `init`.
 *
 * @example registerInit(program, ctx)
 */
export function registerInit(program: Command, ctx: OperatorCtx): void {
  addFlags(
    program
      .command('init')
      .argument('[dir]', 'the fleet directory (created if missing)', '.')
      .description(
        'scaffold a fleet repository: fleet.nix, keys, trust.json, fleet CA, CP certificate, operator certificate, CLI config',
      ),
    INIT,
  ).action(async (dir: string | undefined, o: InitOptions) =>
    ctx.setExit(await initCommand(ctx, dir, o)),
  );
}
