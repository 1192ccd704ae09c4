// The flag table of nixfleet-compliance-collect: every flag with its type,
// unit, default, description and the services.nixfleet-compliance option
// that renders it, and the one parse of argv through it (`--help` is printed
// from it; scripts/gen-flag-docs.ts writes docs/compliance.md's reference).
// The collector has no environment mirrors: the module passes every value.
import { parseArgs } from 'node:util';
import { parseDuration } from '../core/duration.ts';
import { flagName, helpTextWithDefault, type FlagSpec } from '../flags/spec.ts';

/** Every flag of the collector (`--version` aside). */
export const FLAGS: readonly FlagSpec[] = [
  {
    flag: '--controls <file>',
    key: 'controls',
    type: 'path',
    defaultText: 'required',
    env: null,
    description: 'controls.json: the controls to check (the module renders it from frameworks)',
  },
  {
    flag: '--host-key <file>',
    key: 'hostKey',
    type: 'path',
    default: '/etc/ssh/ssh_host_ed25519_key',
    env: null,
    description: 'the host’s ed25519 SSH key, which signs the evidence',
    nixos: 'sshHostKeyFile',
  },
  {
    flag: '--hostname <name>',
    key: 'hostname',
    type: 'string',
    defaultText: 'the kernel host name',
    env: null,
    description: 'host name the evidence is for',
  },
  {
    flag: '--out <file>',
    key: 'out',
    type: 'path',
    default: '/var/lib/nixfleet-compliance/evidence.json',
    env: null,
    description: 'where the signed evidence is written',
    nixos: 'evidencePath',
  },
  {
    flag: '--timeout-secs <duration>',
    key: 'timeoutSecs',
    type: 'duration',
    unit: 's',
    default: '120',
    env: null,
    description: 'how long one control’s probe may run before it is killed and the control fails',
    nixos: 'timeoutSecs',
  },
  {
    flag: '--current-system <link>',
    key: 'currentSystem',
    type: 'path',
    default: '/run/current-system',
    env: null,
    description: 'the link whose target the evidence records as the generation',
  },
];

/** What the collector runs with. */
export interface CollectorArgs {
  readonly controls: string;
  readonly hostKey: string;
  readonly hostname: string | null;
  readonly out: string;
  readonly timeoutMs: number;
  readonly currentSystem: string;
}

/** Why argv was refused (COMPLIANCE_ERR_ARGS), or `help` when `--help` was asked. */
export type ParsedArgs =
  | { readonly ok: true; readonly args: CollectorArgs }
  | { readonly ok: false; readonly help: true }
  | { readonly ok: false; readonly help: false; readonly message: string };

/** `--help`, from the table. */
export function helpText(): string {
  const width = Math.max(...FLAGS.map((f) => f.flag.length));
  return [
    'Usage: nixfleet-compliance-collect --controls <file> [options]',
    '',
    'Runs the runtime probe of every control and writes the host-signed evidence file.',
    '',
    'Options:',
    `  ${'-V, --version'.padEnd(width)}  print the version, commit and Node version`,
    ...FLAGS.map((f) => `  ${f.flag.padEnd(width)}  ${helpTextWithDefault(f)}`),
    `  ${'-h, --help'.padEnd(width)}  display help`,
    '',
  ].join('\n');
}

const kebab = (f: FlagSpec): string => flagName(f).slice(2);

/**
 * Parses the collector's argv (without node and the script).
 *
 * @example parseCollectorArgs(['--controls', 'c.json', '--timeout-secs', '2m'])
 */
export function parseCollectorArgs(argv: readonly string[]): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(FLAGS.map((f) => [kebab(f), { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    return { ok: false, help: false, message: (e as Error).message };
  }
  if (values['help'] === true) return { ok: false, help: true };
  const get = (key: string): string | undefined => {
    const f = FLAGS.find((s) => s.key === key) as FlagSpec;
    const v = values[kebab(f)];
    return typeof v === 'string' ? v : f.default;
  };
  const controls = get('controls');
  if (controls === undefined || controls === '') {
    return { ok: false, help: false, message: '--controls FILE is required' };
  }
  const timeout = parseDuration(get('timeoutSecs') as string, { bareUnit: 's', minMs: 1 });
  if (!timeout.ok) return { ok: false, help: false, message: `--timeout-secs: ${timeout.message}` };
  return {
    ok: true,
    args: {
      controls,
      hostKey: get('hostKey') as string,
      hostname: get('hostname') ?? null,
      out: get('out') as string,
      timeoutMs: timeout.ms,
      currentSystem: get('currentSystem') as string,
    },
  };
}
