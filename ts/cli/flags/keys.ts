// Flag tables of the commands that make or rotate keys and certificates,
// offline: keygen, sign, derive-pubkey, mint-operator-cert, pki …, trust …,
// init. Registered by ts/cli/flags/table.ts addFlags.
import { flag, type CommandFlag, type CommandFlags } from './table.ts';

const ALGORITHM = flag('--algorithm <alg>', 'ed25519 or ecdsa-p256', {
  type: 'enum',
  default: 'ed25519',
});
const FORCE = flag('--force', 'overwrite existing output files');
const CA_CERT = flag('--ca-cert <file>', 'fleet CA certificate (PEM)', { required: true });
const CA_KEY = flag('--ca-key <file>', 'fleet CA private key (PEM; ed25519 or P-256)', {
  required: true,
});
const CERT_VALIDITY = (dflt: string): CommandFlag =>
  flag('--validity <duration>', 'certificate lifetime (capped at the CA expiry)', {
    default: dflt,
  });

export const KEYGEN: CommandFlags = {
  command: 'keygen',
  client: false,
  flags: [
    flag('--out <file>', 'where to write the private key', { required: true }),
    ALGORITHM,
    flag('--force', 'overwrite an existing key file', { default: 'false' }),
  ],
};

export const SIGN: CommandFlags = {
  command: 'sign',
  client: false,
  flags: [
    flag('--key <file>', 'private key: PKCS#8 PEM, OpenSSH, or a 32-byte/hex seed', {
      required: true,
    }),
    flag('--input <file>', 'bytes to sign', { env: 'NIXFLEET_INPUT' }),
    flag('--output <file>', 'signature output', { env: 'NIXFLEET_OUTPUT' }),
    flag('--algorithm <alg>', 'algorithm of a raw or hex seed key', { type: 'enum' }),
  ],
};

/** `derive-pubkey --format` values. */
export const PUBKEY_FORMATS = ['base64', 'openssh', 'fingerprint', 'trust-json'] as const;

export const DERIVE_PUBKEY: CommandFlags = {
  command: 'derive-pubkey',
  client: false,
  flags: [
    flag(
      '--key <file>',
      'private key: OpenSSH, PKCS#8/SEC1 PEM, or a 32-byte / hex / base64 seed',
      {
        required: true,
      },
    ),
    flag('--format <format>', `one of ${PUBKEY_FORMATS.join(', ')}`, {
      type: 'enum',
      default: 'base64',
    }),
    flag('--algorithm <alg>', 'algorithm of a raw seed (ed25519 or ecdsa-p256)', { type: 'enum' }),
  ],
};

export const MINT_OPERATOR_CERT: CommandFlags = {
  command: 'mint-operator-cert',
  client: false,
  flags: [
    CA_CERT,
    CA_KEY,
    flag('--name <name>', 'operator name; the CN becomes operator:<name>', { required: true }),
    flag('--out-cert <file>', 'where to write the certificate', { required: true }),
    flag('--out-key <file>', 'where to write the new private key (mode 0600)', { required: true }),
    CERT_VALIDITY('30d'),
    FORCE,
  ],
};

export const PKI_INIT_CA: CommandFlags = {
  command: 'pki init-ca',
  client: false,
  flags: [
    flag('--out-cert <file>', 'where to write the CA certificate', { default: 'fleet-ca.pem' }),
    flag('--out-key <file>', 'where to write the CA private key (mode 0600)', {
      default: 'fleet-ca.key',
    }),
    flag('--name <cn>', 'the CA certificate subject CN', { default: 'NixFleet fleet CA' }),
    flag('--validity <duration>', 'CA lifetime', { default: '3650d' }),
    ALGORITHM,
    FORCE,
  ],
};

/** What `pki server-cert` and `pki rotate-server-cert` share. */
const SERVER_FLAGS: readonly CommandFlag[] = [
  CA_CERT,
  CA_KEY,
  flag('--dns <name>', 'a DNS name of the control plane (repeatable)', { repeatable: true }),
  flag('--ip <address>', 'an IP address of the control plane (repeatable)', { repeatable: true }),
  CERT_VALIDITY('365d'),
  flag('--algorithm <alg>', 'key algorithm of the new server key: ed25519 or ecdsa-p256', {
    type: 'enum',
    default: 'ed25519',
  }),
];

export const PKI_SERVER_CERT: CommandFlags = {
  command: 'pki server-cert',
  client: false,
  flags: [
    ...SERVER_FLAGS,
    flag('--out-cert <file>', 'where to write the certificate', { default: 'cp-server.pem' }),
    flag('--out-key <file>', 'where to write the new private key (mode 0600)', {
      default: 'cp-server.key',
    }),
    FORCE,
  ],
};

export const PKI_ROTATE_SERVER_CERT: CommandFlags = {
  command: 'pki rotate-server-cert',
  client: false,
  flags: [
    ...SERVER_FLAGS,
    flag('--cert <file>', 'the current server certificate (replaced)', {
      default: 'cp-server.pem',
    }),
    flag('--key <file>', 'its private key (replaced by a new one, mode 0600)', {
      default: 'cp-server.key',
    }),
  ],
};

const TRUST_FILE = flag('--trust <file>', 'trust.json to edit', { default: 'trust.json' });

export const TRUST_STAGE: CommandFlags = {
  command: 'trust stage',
  client: false,
  flags: [
    flag('--key <file>', 'the new private key (its public half goes into trust.json)', {
      required: true,
    }),
    TRUST_FILE,
  ],
};

export const TRUST_PROMOTE: CommandFlags = {
  command: 'trust promote',
  client: false,
  flags: [
    flag('--grace <duration>', 'how long the old key keeps verifying (retireAt = now + grace)', {
      default: '7d',
    }),
    TRUST_FILE,
  ],
};

export const TRUST_RETIRE: CommandFlags = {
  command: 'trust retire',
  client: false,
  flags: [TRUST_FILE],
};

export const INIT: CommandFlags = {
  command: 'init',
  client: false,
  flags: [
    flag('--hosts <names>', 'comma-separated host names; the first is the canary', {
      type: 'list',
      default: 'web-01,web-02,web-03',
    }),
    flag(
      '--cp-url <url>',
      'the control plane URL agents and operators use (its host goes into the server certificate)',
      { default: 'https://localhost:8443' },
    ),
    flag('--dns <name>', 'another DNS name for the server certificate (repeatable)', {
      repeatable: true,
    }),
    flag('--ip <address>', 'another IP address for the server certificate (repeatable)', {
      repeatable: true,
    }),
    flag('--operator <name>', 'name of the first operator certificate', { defaultText: '$USER' }),
    flag('--config-out <file>', 'where to write the CLI config', {
      defaultText: '<dir>/nixfleet.toml',
    }),
    flag(
      '--force',
      'replace an earlier init: keys/ and pki/ are recreated, the other files rewritten',
    ),
  ],
};

/** Every table of this group, in the order of the docs. */
export const KEY_TABLES: readonly CommandFlags[] = [
  KEYGEN,
  SIGN,
  DERIVE_PUBKEY,
  MINT_OPERATOR_CERT,
  PKI_INIT_CA,
  PKI_SERVER_CERT,
  PKI_ROTATE_SERVER_CERT,
  TRUST_STAGE,
  TRUST_PROMOTE,
  TRUST_RETIRE,
  INIT,
];
