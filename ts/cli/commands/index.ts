// The command table of `nixfleet`: each top-level command's help line and
// the module that implements it, loaded only when that command runs. The
// root help is drawn from this table alone, so `nixfleet --help` loads no
// command (no Ink, no HTTP/2 client, no X.509), and `nixfleet status` loads
// status and what it imports. tests/cli/command-table.test.ts keeps each
// line equal to what the command registers for itself.
import type { Command } from 'commander';
import type { OperatorCtx } from './operator-context.ts';

/** One line of the table: the names a module registers and how to load it. */
export interface CommandEntry {
  /** Top-level command → its term and description in the root help. */
  readonly help: Readonly<Record<string, readonly [term: string, description: string]>>;
  /** Imports the module and registers its commands on `program`. */
  readonly load: () => Promise<(program: Command, ctx: OperatorCtx) => void>;
}

/** Every top-level command, in root-help order. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    help: {
      canonicalize: [
        'canonicalize',
        'read JSON on stdin, write its RFC 8785 canonical form to stdout (exit 0 ok, 1 parse error, 2 I/O)',
      ],
    },
    load: async () => (await import('./canonicalize.ts')).registerCanonicalize,
  },
  {
    help: {
      verify: [
        'verify',
        'verify signed artifacts offline (exit 0 verified, 1 rejected, 2 usage/I/O)',
      ],
    },
    load: async () => (await import('./verify.ts')).registerVerify,
  },
  {
    help: {
      audit: [
        'audit [options] <host>',
        "the auditor's statement: per UTC day, the closure a host ran, its commit and its controls, from signed material only (exit 0 verified, 1 refused, 2 usage/I/O)",
      ],
    },
    load: async () => (await import('./audit.ts')).registerAudit,
  },
  {
    help: {
      release: [
        'release [options]',
        'evaluate, build, push, sign and write a release directory (all or nothing)',
      ],
    },
    load: async () => (await import('./release.ts')).registerRelease,
  },
  {
    help: {
      demo: [
        'demo [options]',
        'run the whole signed loop on this machine: release, control plane, 8 agents, canary, automatic rollback',
      ],
    },
    load: async () => (await import('./demo.ts')).registerDemo,
  },
  {
    help: {
      keygen: [
        'keygen [options]',
        'generate a signing key (PKCS#8 PEM, mode 0600) and print its trust.json public key entry',
      ],
      sign: [
        'sign [options]',
        'sign a file with a key file, writing the raw signature; usable as --sign-cmd "nixfleet sign --key ci.key"',
      ],
    },
    load: async () => (await import('./keys.ts')).registerKeys,
  },
  {
    help: { config: ['config', 'operator config file (~/.config/nixfleet/config.toml)'] },
    load: async () => (await import('./config.ts')).registerConfig,
  },
  {
    help: {
      status: [
        'status [options]',
        'fleet table: status label per host, channels with rollout, wave progress and artifact age (exit 1 when a host is never seen, offline or failed, or a rollout failed)',
      ],
    },
    load: async () => (await import('./status.tsx')).registerStatus,
  },
  {
    help: {
      rollout: [
        'rollout',
        'rollouts: list, hosts, events, trace; pause, resume, abort, approve, clear',
      ],
    },
    load: async () => (await import('./rollout.tsx')).registerRollout,
  },
  {
    help: {
      watch: [
        'watch [options] [rollout-id]',
        'live view of a rollout (default: the one in progress): waves, hosts, budgets, decisions; ends with the rollout (exit 0 only when every targeted host converged)',
      ],
    },
    load: async () => (await import('./watch.tsx')).registerWatch,
  },
  {
    help: {
      'mint-token': [
        'mint-token [options]',
        'mint a bootstrap token (JSON on stdout; the fleet.nix bootstrapNonces entry on stderr)',
      ],
    },
    load: async () => (await import('./mint-token.ts')).registerMintToken,
  },
  {
    help: {
      'derive-pubkey': [
        'derive-pubkey [options]',
        'print the public key of a private key file (base64 raw by default)',
      ],
      'mint-operator-cert': [
        'mint-operator-cert [options]',
        'mint an operator key and clientAuth certificate (CN=operator:<name>) from the fleet CA',
      ],
    },
    load: async () => (await import('./operator-keys.ts')).registerOperatorKeys,
  },
  {
    help: { pki: ['pki', 'the fleet CA and the control plane server certificate'] },
    load: async () => (await import('./pki.ts')).registerPki,
  },
  {
    help: {
      init: [
        'init [options] [dir]',
        'scaffold a fleet repository: fleet.nix, keys, trust.json, fleet CA, CP certificate, operator certificate, CLI config',
      ],
    },
    load: async () => (await import('./init.ts')).registerInit,
  },
  {
    help: { host: ['host', 'fleet entries for one host'] },
    load: async () => (await import('./host.ts')).registerHost,
  },
  {
    help: { trust: ['trust', 'rotate a trust.json key slot: stage, promote, retire'] },
    load: async () => (await import('./trust.ts')).registerTrust,
  },
  {
    help: {
      whoami: ['whoami [options]', 'the identity the CP sees in your client certificate'],
    },
    load: async () => (await import('./whoami.ts')).registerWhoami,
  },
];
