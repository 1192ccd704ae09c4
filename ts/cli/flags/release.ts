// Flag tables of the commands that make or check signed material: release,
// demo, verify …, audit, canonicalize. Registered by ts/cli/flags/table.ts
// addFlags.
import { flag, type CommandFlag, type CommandFlags } from './table.ts';

const NO_FALSE = { default: 'false' } as const;

export const RELEASE: CommandFlags = {
  command: 'release',
  client: false,
  flags: [
    flag(
      '--fleet-file <file>',
      'a fleet file: mkFleet result, or { mkFleet, mergeFleets, ... }: result (builtins only)',
    ),
    flag('--flake <dir>', 'a flake exposing `fleet` (needs nixpkgs)'),
    flag('--hosts <selection>', 'auto | auto:exclude=a,b | a,b,c', { default: 'auto' }),
    flag('--sign-cmd <cmd>', 'hook signing $NIXFLEET_INPUT into $NIXFLEET_OUTPUT (raw signature)'),
    flag(
      '--push-cmd <cmd>',
      'hook run per closure with $NIXFLEET_HOST, $NIXFLEET_PATH, $NIXFLEET_CLOSURE_HASH',
    ),
    flag('--signature-algorithm <alg>', 'ed25519 | ecdsa-p256', {
      type: 'enum',
      default: 'ed25519',
    }),
    flag('--release-dir <dir>', 'where the release is written', { default: 'releases' }),
    flag('--ci-commit <sha>', 'commit being released', { defaultText: 'git HEAD' }),
    flag('--pin-source-url <url>', 'flake URL hosts pinned to other commits are built from'),
    flag(
      '--trust-file <file>',
      'trust.json whose ciReleaseKey verifies the signatures (smoke verify)',
    ),
    flag(
      '--public-key <base64>',
      'CI public key (raw, base64) for the smoke verify, instead of --trust-file',
    ),
    flag('--now <timestamp>', 'signing time (RFC 3339 UTC)', { defaultText: 'the clock' }),
    flag('--force-resign', 're-sign even when nothing changed', NO_FALSE),
    flag('--git-commit', 'commit the release directory', NO_FALSE),
    flag('--git-push', 'push after committing', NO_FALSE),
    flag(
      '--jobs <n>',
      "Nix's --max-jobs for the batched build, and how many push hooks run at once",
      { type: 'count', defaultText: "Nix's setting, 4 pushes" },
    ),
    flag(
      '--dry-run',
      'evaluate only: print per channel which hosts change closure against the previous release (nothing built, signed or written)',
      NO_FALSE,
    ),
    flag(
      '--accept-irrevocable-change <host:name>',
      'accept the change of one irrevocable value (repeatable); recorded in the signed release',
      { repeatable: true },
    ),
    flag('--accepted-by <who>', 'who accepts (the CI identity), recorded with each acceptance', {
      env: 'NIXFLEET_ACCEPTED_BY',
    }),
    flag('--json', 'print the summary as JSON', NO_FALSE),
  ],
};

export const DEMO: CommandFlags = {
  command: 'demo',
  client: false,
  flags: [
    flag('--state-dir <dir>', 'where run directories are kept', { defaultText: '.state/demo' }),
    flag('--loopback', 'keep every host on loopback (no network namespaces)'),
    flag('--quiet', 'no live view; progress lines only'),
  ],
};

export const AUDIT: CommandFlags = {
  command: 'audit',
  client: false,
  flags: [
    flag('--from <day>', 'first UTC day, YYYY-MM-DD', { required: true }),
    flag('--to <day>', 'last UTC day, YYYY-MM-DD (inclusive)', { required: true }),
    flag('--trust <file>', 'trust.json, the root of trust (as the organisation gave it)', {
      required: true,
    }),
    flag(
      '--trust-sha256 <hex>',
      'refuse unless trust.json has this SHA-256 (your out-of-band pin)',
    ),
    flag(
      '--release-git <dir>',
      'a release directory in a git checkout: every commit of it is a release (repeatable)',
      { repeatable: true },
    ),
    flag('--release-dir <dir>', 'a release directory, or a directory of them (repeatable)', {
      repeatable: true,
    }),
    flag(
      '--evidence <path>',
      'host-signed evidence: a { payload, signature } file, a `rollout events --json` export, or a directory of them (repeatable)',
      { repeatable: true },
    ),
    flag('--now <rfc3339>', 'the verification instant', { defaultText: 'the current time' }),
    flag('--json', 'print the statement as JSON (contract audit-statement)'),
    flag('--html <file>', 'also write a self-contained HTML report'),
  ],
};

export const CANONICALIZE: CommandFlags = { command: 'canonicalize', client: false, flags: [] };

const VERIFY_JSON = flag('--json', 'print the outcome as one JSON object on stdout');
const VERIFY_NOW = flag('--now <rfc3339>', 'verify as of this instant', {
  defaultText: 'the current time',
});
const SLACK = (what: string): CommandFlag =>
  // Zero slack is a choice (no clock skew tolerated), not a mistake.
  flag('--clock-skew-slack-secs <duration>', `how far in the future ${what} may lie`, {
    default: '60',
    minMs: 0,
  });

/** `--freshness-window-secs` of a CI-signed document's check. */
export const FRESHNESS_WINDOW = flag(
  '--freshness-window-secs <duration>',
  'maximum accepted age of meta.signedAt',
  { required: true, minMs: 0 },
);
/** `--clock-skew-slack-secs` of a CI-signed document's check. */
export const SIGNED_SLACK = SLACK('signedAt');

/** The flags of a signed document's check (artifact, revocations, nonces, manifest). */
const SIGNED: readonly CommandFlag[] = [
  flag('--signature <path>', 'raw 64-byte signature file (.sig)', { required: true }),
  flag('--trust-file <path>', 'trust.json holding the ciReleaseKey slot', { required: true }),
  FRESHNESS_WINDOW,
  VERIFY_NOW,
  SIGNED_SLACK,
  VERIFY_JSON,
];

/** The signed documents `verify` checks with the SIGNED flags alone, and what each is. */
export const VERIFY_SIGNED_DOCS = {
  artifact: 'fleet.resolved.json',
  revocations: 'revocations.json',
  'bootstrap-nonces': 'bootstrap-nonces.json',
} as const;

/** The table of `verify artifact|revocations|bootstrap-nonces`. */
export function verifySigned(name: keyof typeof VERIFY_SIGNED_DOCS): CommandFlags {
  const what = VERIFY_SIGNED_DOCS[name];
  return {
    command: `verify ${name}`,
    client: false,
    flags: [
      flag('--artifact <path>', `${what}, exactly the bytes that were signed`, { required: true }),
      ...SIGNED,
    ],
  };
}

export const VERIFY_ROLLOUT_MANIFEST: CommandFlags = {
  command: 'verify rollout-manifest',
  client: false,
  flags: [
    // One of --manifest and --artifact; the command refuses neither.
    flag('--manifest <path>', 'rollout manifest, exactly the bytes that were signed', {
      defaultText: 'required',
    }),
    flag('--artifact <path>', 'alias of --manifest'),
    ...SIGNED,
    flag('--rollout-id <id>', 'the <channel>@<channelRef> it was fetched under', {
      required: true,
    }),
    flag('--fleet-resolved <path>', 'also check fleetResolvedHash against this file'),
  ],
};

export const VERIFY_BOOTSTRAP_TOKEN: CommandFlags = {
  command: 'verify bootstrap-token',
  client: false,
  flags: [
    flag('--token <path>', 'bootstrap token JSON file', { required: true }),
    flag('--trust-file <path>', 'trust.json holding the orgRootKey slot', { required: true }),
    VERIFY_NOW,
    flag('--hostname <name>', 'require claims.hostname to be this host'),
    SLACK('issuedAt'),
    VERIFY_JSON,
  ],
};

export const VERIFY_PROBE: CommandFlags = {
  command: 'verify probe',
  client: false,
  flags: [
    flag(
      '--evidence <path>',
      "<probe>.evidence.json from the host ({ payload, signature }), or an event's evidence from the CP ({ payloadJcs, signature })",
    ),
    flag('--payload <path>', 'probe payload, exactly the bytes that were signed'),
    flag('--signature <path>', 'signature of --payload: raw 64 bytes or base64 text'),
    flag('--pubkey <path>', 'host public key file (ssh-ed25519 AAAA…)', { required: true }),
    flag('--hostname <name>', 'require the payload hostname to be this host'),
    flag('--no-schema', 'skip validation against the probe-payload contract'),
    VERIFY_JSON,
  ],
};

/** Every table of this group, in the order of the docs. */
export const RELEASE_TABLES: readonly CommandFlags[] = [
  RELEASE,
  DEMO,
  CANONICALIZE,
  ...(Object.keys(VERIFY_SIGNED_DOCS) as (keyof typeof VERIFY_SIGNED_DOCS)[]).map(verifySigned),
  VERIFY_ROLLOUT_MANIFEST,
  VERIFY_BOOTSTRAP_TOKEN,
  VERIFY_PROBE,
  AUDIT,
];
