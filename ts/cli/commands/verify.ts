// `nixfleet verify …` — the offline auditor (book: nixfleet-verify-artifact).
// Given signed artifacts, their raw signatures and a trust.json, it answers
// one question: does this artifact carry a valid signature from a currently
// trusted key, signed inside the freshness window? No network, no CP.
// Exit codes (stable): 0 verified, 1 verification failed (typed reason
// printed), 2 argument / I/O / trust-file / key error. See docs/auditor.md.
import type { Command } from 'commander';
import {
  err,
  ok,
  sha256Hex,
  verifyArtifact,
  verifyBootstrapNonces,
  verifyBootstrapToken,
  verifyRevocations,
  verifyRolloutManifest,
  verifySignedPayload,
  type Result,
} from '../../trust/index.ts';
import type { CliIo } from '../io.ts';
import type { ExitCode } from './exit-codes.ts';
import {
  cliError,
  decodeSignatureFile,
  parseNow,
  readEvidencePair,
  parseSeconds,
  readHostKey,
  readInput,
  readTrust,
  type CliError,
} from './verify-inputs.ts';
import { acceptanceFacts, report, signedFacts, type Outcome } from './verify-output.ts';
import type { FleetResolved } from '../../contracts/index.ts';
import {
  FRESHNESS_WINDOW,
  SIGNED_SLACK,
  VERIFY_BOOTSTRAP_TOKEN,
  VERIFY_PROBE,
  VERIFY_ROLLOUT_MANIFEST,
  VERIFY_SIGNED_DOCS,
  verifySigned,
} from '../flags/release.ts';
import { addFlags, flagOf } from '../flags/table.ts';

/** What the verify subcommands need from main. */
export interface VerifyContext {
  readonly io: CliIo;
  readonly setExit: (code: ExitCode) => void;
}

/** Flags shared by the CI-signed artifact subcommands. */
interface SignedFlags {
  readonly signature: string;
  readonly trustFile: string;
  readonly now?: string;
  readonly freshnessWindowSecs: string;
  readonly clockSkewSlackSecs: string;
  readonly json?: boolean;
}

type Step<T> = Promise<Result<T, CliError>> | Result<T, CliError>;

// Runs input steps in order and stops at the first failure.
async function gather<T>(steps: { [K in keyof T]: () => Step<T[K]> }): Promise<
  Result<T, CliError>
> {
  const out = {} as T;
  for (const key of Object.keys(steps) as (keyof T)[]) {
    const r = await steps[key]();
    if (!r.ok) return r;
    out[key] = r.value;
  }
  return ok(out);
}

function signedInputs(io: CliIo, artifactPath: string, flags: SignedFlags) {
  // Flags first: a typo is refused before any file is read.
  return gather({
    now: () => parseNow(flags.now, io),
    freshnessWindowSecs: () => parseSeconds(FRESHNESS_WINDOW, flags.freshnessWindowSecs),
    clockSkewSlackSecs: () => parseSeconds(SIGNED_SLACK, flags.clockSkewSlackSecs),
    bytes: () => readInput(io, '--artifact', artifactPath),
    signature: async (): Promise<Result<Uint8Array, CliError>> => {
      const r = await readInput(io, '--signature', flags.signature);
      return r.ok ? ok(decodeSignatureFile(r.value)) : r;
    },
    trust: () => readTrust(io, flags.trustFile),
  });
}

type SignedVerifier =
  typeof verifyArtifact | typeof verifyRevocations | typeof verifyBootstrapNonces;

async function runSigned(
  io: CliIo,
  flags: SignedFlags & { readonly artifact: string },
  spec: { readonly what: string; readonly verifier: SignedVerifier },
): Promise<Outcome> {
  const inputs = await signedInputs(io, flags.artifact, flags);
  if (!inputs.ok) return { kind: 'error', error: inputs.error };
  const { bytes, signature, ...options } = inputs.value;
  const r = spec.verifier(bytes, signature, options);
  if (!r.ok) return { kind: 'rejected', error: r.error };
  const facts = signedFacts(r.value);
  // An auditor sees every accepted change of an irrevocable value the signed release records.
  if (spec.verifier === verifyArtifact) {
    Object.assign(facts, acceptanceFacts(r.value.value as FleetResolved));
  }
  return { kind: 'verified', success: { subject: spec.what, facts } };
}

type ManifestFlags = SignedFlags & {
  readonly manifest?: string;
  readonly artifact?: string;
  readonly rolloutId: string;
  readonly fleetResolved?: string;
};

async function runRolloutManifest(io: CliIo, flags: ManifestFlags): Promise<Outcome> {
  const path = flags.manifest ?? flags.artifact;
  if (path === undefined) {
    return {
      kind: 'error',
      error: { code: 'CLI_ERR_USAGE', message: '--manifest <path> is required' },
    };
  }
  const inputs = await signedInputs(io, path, flags);
  if (!inputs.ok) return { kind: 'error', error: inputs.error };
  let fleetResolvedHash: string | undefined;
  if (flags.fleetResolved !== undefined) {
    const fleet = await readInput(io, '--fleet-resolved', flags.fleetResolved);
    if (!fleet.ok) return { kind: 'error', error: fleet.error };
    fleetResolvedHash = sha256Hex(fleet.value);
  }
  const { bytes, signature, ...options } = inputs.value;
  const r = verifyRolloutManifest(bytes, signature, {
    ...options,
    expectedRolloutId: flags.rolloutId,
    fleetResolvedHash,
  });
  if (!r.ok) return { kind: 'rejected', error: r.error };
  const facts = signedFacts(r.value);
  if (fleetResolvedHash)
    facts['fleetResolvedHash'] = `${fleetResolvedHash} (matches --fleet-resolved)`;
  return { kind: 'verified', success: { subject: `rollout manifest ${flags.rolloutId}`, facts } };
}

interface TokenFlags {
  readonly token: string;
  readonly trustFile: string;
  readonly now?: string;
  readonly hostname?: string;
  readonly clockSkewSlackSecs: string;
}

async function runBootstrapToken(io: CliIo, flags: TokenFlags): Promise<Outcome> {
  const inputs = await gather({
    now: () => parseNow(flags.now, io),
    clockSkewSlackSecs: () =>
      parseSeconds(flagOf(VERIFY_BOOTSTRAP_TOKEN, 'clockSkewSlackSecs'), flags.clockSkewSlackSecs),
    token: () => readInput(io, '--token', flags.token),
    trust: () => readTrust(io, flags.trustFile),
  });
  if (!inputs.ok) return { kind: 'error', error: inputs.error };
  const { token, ...options } = inputs.value;
  const r = verifyBootstrapToken(token, { ...options, expectedHostname: flags.hostname });
  if (!r.ok) return { kind: 'rejected', error: r.error };
  const { claims } = r.value.token;
  return {
    kind: 'verified',
    success: {
      subject: `bootstrap token for ${claims.hostname}`,
      facts: {
        issuedAt: claims.issuedAt,
        expiresAt: claims.expiresAt,
        expectedPubkeyFingerprint: claims.expectedPubkeyFingerprint,
        signer: `orgRootKey.${r.value.signer.role}`,
        signerFingerprint: r.value.signer.fingerprint,
      },
    },
  };
}

interface ProbeFlags {
  readonly evidence?: string;
  readonly payload?: string;
  readonly signature?: string;
  readonly pubkey: string;
  readonly hostname?: string;
  readonly schema: boolean;
}

/** The payload bytes and signature to check: from `--evidence`, or `--payload` + `--signature`. */
async function probeInputs(
  io: CliIo,
  flags: ProbeFlags,
): Promise<Result<{ payload: Uint8Array; signature: Uint8Array }, CliError>> {
  if (flags.evidence !== undefined) {
    if (flags.payload !== undefined || flags.signature !== undefined)
      return err(cliError('CLI_ERR_USAGE', '--evidence replaces --payload and --signature'));
    const file = await readInput(io, '--evidence', flags.evidence);
    if (!file.ok) return file;
    return readEvidencePair(file.value, `--evidence ${flags.evidence}`);
  }
  if (flags.payload === undefined || flags.signature === undefined)
    return err(cliError('CLI_ERR_USAGE', 'give --evidence, or both --payload and --signature'));
  const payload = await readInput(io, '--payload', flags.payload);
  if (!payload.ok) return payload;
  const signature = await readInput(io, '--signature', flags.signature);
  if (!signature.ok) return signature;
  return ok({ payload: payload.value, signature: decodeSignatureFile(signature.value) });
}

async function runProbe(io: CliIo, flags: ProbeFlags): Promise<Outcome> {
  const inputs = await gather({
    pair: () => probeInputs(io, flags),
    publicKey: () => readHostKey(io, flags.pubkey),
  });
  if (!inputs.ok) return { kind: 'error', error: inputs.error };
  const { pair, publicKey } = inputs.value;
  const r = verifySignedPayload(pair.payload, pair.signature, {
    publicKey,
    expectedHostname: flags.hostname,
    ...(flags.schema ? { contract: 'probe-payload' as const } : {}),
  });
  if (!r.ok) return { kind: 'rejected', error: r.error };
  const host = r.value.value['hostname'];
  return {
    kind: 'verified',
    success: {
      subject: typeof host === 'string' ? `probe payload from ${host}` : 'signed payload',
      facts: { signerFingerprint: r.value.signerFingerprint, sha256: r.value.sha256 },
    },
  };
}

/**
 * Adds `verify artifact | rollout-manifest | revocations | bootstrap-nonces |
 * bootstrap-token | probe` to the program.
 *
 * @example
 *   registerVerify(program, { io, setExit });
 */
export function registerVerify(program: Command, ctx: VerifyContext): void {
  const { io, setExit } = ctx;
  const done = (json: boolean | undefined) => (outcome: Outcome) =>
    setExit(report(io, outcome, { json: !!json }));
  const verify = program
    .command('verify')
    .description('verify signed artifacts offline (exit 0 verified, 1 rejected, 2 usage/I/O)');

  for (const [name, verifier] of [
    ['artifact', verifyArtifact],
    ['revocations', verifyRevocations],
    ['bootstrap-nonces', verifyBootstrapNonces],
  ] as const) {
    const what = VERIFY_SIGNED_DOCS[name];
    addFlags(
      verify.command(name).description(`verify a signed ${what}`),
      verifySigned(name),
    ).action(async (flags: SignedFlags & { artifact: string }) =>
      done(flags.json)(await runSigned(io, flags, { what, verifier })),
    );
  }

  addFlags(
    verify
      .command('rollout-manifest')
      .description('verify a signed rollout manifest and that it is the one for --rollout-id'),
    VERIFY_ROLLOUT_MANIFEST,
  ).action(async (flags: ManifestFlags) => done(flags.json)(await runRolloutManifest(io, flags)));

  addFlags(
    verify
      .command('bootstrap-token')
      .description('verify a bootstrap token against the orgRootKey slot'),
    VERIFY_BOOTSTRAP_TOKEN,
  ).action(async (flags: TokenFlags & { json?: boolean }) =>
    done(flags.json)(await runBootstrapToken(io, flags)),
  );

  addFlags(
    verify
      .command('probe')
      .description("verify a host-signed probe payload against the host's OpenSSH key"),
    VERIFY_PROBE,
  ).action(async (flags: ProbeFlags & { json?: boolean }) =>
    done(flags.json)(await runProbe(io, flags)),
  );
}
