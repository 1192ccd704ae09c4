// Turning `nixfleet verify` flags into verifier inputs: read files, parse the
// trust file, the host key, `--now` and the numeric windows. Every failure is
// a CliError (exit 2): nothing was verified. ts/trust never sees a path.
import {
  canonicalBytes,
  decodeBase64Strict,
  decodeUtf8Strict,
  err,
  ok,
  parseTimestamp,
  parseTrustConfigBytes,
  publicKeyFromOpenSsh,
  type PublicKey,
  type Result,
  type TrustConfig,
} from '../../trust/index.ts';
import { flagName, type FlagSpec } from '../../flags/spec.ts';
import { checkDuration } from '../flags/table.ts';
import type { CliIo } from '../io.ts';

/** Why the CLI could not even start verifying (exit 2). */
export interface CliError {
  readonly code: 'CLI_ERR_USAGE' | 'CLI_ERR_IO' | 'CLI_ERR_TRUST_FILE' | 'CLI_ERR_KEY';
  readonly message: string;
}

/** Builds a CliError. */
export function cliError(code: CliError['code'], message: string): CliError {
  return { code, message };
}

/**
 * Reads a file named by a flag.
 *
 * @example
 *   await readInput(io, '--artifact', path)
 */
export async function readInput(
  io: CliIo,
  flag: string,
  path: string,
): Promise<Result<Uint8Array, CliError>> {
  try {
    return ok(await io.readFile(path));
  } catch (e) {
    return err(cliError('CLI_ERR_IO', `cannot read ${flag} ${path}: ${(e as Error).message}`));
  }
}

/**
 * Reads and parses a trust.json; an unknown schemaVersion is an argument error.
 *
 * @example
 *   await readTrust(io, '/etc/nixfleet/cp/trust.json')
 */
export async function readTrust(io: CliIo, path: string): Promise<Result<TrustConfig, CliError>> {
  const bytes = await readInput(io, '--trust-file', path);
  if (!bytes.ok) return bytes;
  const trust = parseTrustConfigBytes(bytes.value);
  if (trust.ok) return trust;
  const detail = trust.error.issues.map((i) => `\n  ${i.path}: ${i.message}`).join('');
  return err(
    cliError('CLI_ERR_TRUST_FILE', `${path}: ${trust.error.code}: ${trust.error.message}${detail}`),
  );
}

/**
 * Reads an OpenSSH `ssh-ed25519 …` public key file (a host key).
 *
 * @example
 *   await readHostKey(io, 'ssh_host_ed25519_key.pub')
 */
export async function readHostKey(io: CliIo, path: string): Promise<Result<PublicKey, CliError>> {
  const bytes = await readInput(io, '--pubkey', path);
  if (!bytes.ok) return bytes;
  const text = decodeUtf8Strict(bytes.value);
  const key = text === null ? null : publicKeyFromOpenSsh(text);
  if (key?.ok) return ok(key.value);
  return err(cliError('CLI_ERR_KEY', `${path}: ${key ? key.error.message : 'not UTF-8 text'}`));
}

/**
 * A signature file: raw 64 bytes as the contracts require; a base64 text
 * file (how host evidence signatures travel in JSON) is also accepted.
 * Any other length is passed through so the verifier reports it.
 *
 * @example
 *   decodeSignatureFile(readFileSync('fleet.resolved.json.sig'))
 */
export function decodeSignatureFile(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 64) return bytes;
  const text = decodeUtf8Strict(bytes)?.trim();
  const decoded = text ? decodeBase64Strict(text) : null;
  return decoded && decoded.length === 64 ? decoded : bytes;
}

/**
 * Reads an evidence pair: the agent's `<probe>.evidence.json` or a ProbeResult's fields
 * (`{ payload, signature }`, the signed bytes being the RFC 8785 form of `payload` — what the
 * agent signed), or the control plane's `events[].evidence` (`{ payloadJcs, signature }`, the
 * signed bytes themselves). `signature` is base64 of the raw 64 bytes.
 *
 * @example readEvidencePair(bytes, '--evidence web-01.evidence.json')
 */
export function readEvidencePair(
  bytes: Uint8Array,
  what: string,
): Result<{ payload: Uint8Array; signature: Uint8Array }, CliError> {
  let doc: unknown;
  try {
    doc = JSON.parse(decodeUtf8Strict(bytes) ?? '\u0000');
  } catch (e) {
    return err(cliError('CLI_ERR_USAGE', `${what}: not JSON (${(e as Error).message})`));
  }
  const pair = doc as { payload?: unknown; payloadJcs?: unknown; signature?: unknown } | null;
  if (typeof pair !== 'object' || pair === null || Array.isArray(pair))
    return err(cliError('CLI_ERR_USAGE', `${what}: expected an object { payload, signature }`));
  const signature = typeof pair.signature === 'string' ? decodeBase64Strict(pair.signature) : null;
  if (signature === null || signature.length !== 64)
    return err(cliError('CLI_ERR_USAGE', `${what}: signature must be base64 of 64 bytes`));
  if (typeof pair.payloadJcs === 'string')
    return ok({ payload: new TextEncoder().encode(pair.payloadJcs), signature });
  if (typeof pair.payload !== 'object' || pair.payload === null || Array.isArray(pair.payload))
    return err(
      cliError('CLI_ERR_USAGE', `${what}: payload must be an object (or payloadJcs a string)`),
    );
  const payload = canonicalBytes(pair.payload);
  if (!payload.ok)
    return err(
      cliError(
        'CLI_ERR_USAGE',
        `${what}: payload is not canonicalisable: ${payload.error.message}`,
      ),
    );
  return ok({ payload: payload.value, signature });
}

const OFFSET_TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?[+-]\d{2}:\d{2}$/;

/**
 * `--now`: RFC 3339 (UTC `Z`, or with an offset); absent means the clock.
 *
 * @example
 *   parseNow('2026-01-15T13:00:00Z', io)
 */
export function parseNow(text: string | undefined, io: CliIo): Result<Date, CliError> {
  if (text === undefined) return ok(io.now());
  const utc = parseTimestamp(text);
  if (utc !== null) return ok(new Date(utc));
  const offset = OFFSET_TS_RE.test(text) ? Date.parse(text) : NaN;
  if (!Number.isNaN(offset)) return ok(new Date(offset));
  return err(
    cliError('CLI_ERR_USAGE', `--now ${JSON.stringify(text)} is not an RFC 3339 timestamp`),
  );
}

/**
 * A duration flag in seconds, with the unit and bounds of its flag table row
 * (ts/cli/flags/release.ts; docs/operators.md "Durations").
 *
 * @example
 *   parseSeconds(FRESHNESS_WINDOW, '24h') // ok(86400)
 */
export function parseSeconds(spec: FlagSpec, text: string): Result<number, CliError> {
  const r = checkDuration(spec, text);
  if (!r.ok) {
    return err(cliError('CLI_ERR_USAGE', `${flagName(spec)}: ${r.message}`));
  }
  return ok(r.ms / 1000);
}
