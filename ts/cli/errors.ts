// The operator CLI's one error class. Every expected failure of the operator
// commands (config, transport, control-plane answers, key material) carries a
// stable `CLI_ERR_…` code, typed context and a hint; only the command layer
// turns it into an exit code (exitCodeFor) and a message.
import { EXIT, type ExitCode } from './commands/exit-codes.ts';

/** Stable error codes of the operator commands (docs/operators.md). */
export const CLI_ERROR_CODES = {
  /** A required setting (cp_url, ca_cert, client_cert, client_key) has no value. */
  CLI_ERR_CONFIG_MISSING: EXIT.error,
  /** config.toml is not TOML, has unknown keys or wrongly typed values. */
  CLI_ERR_CONFIG_MALFORMED: EXIT.error,
  /** The config file (or a file it names) cannot be read or written. */
  CLI_ERR_CONFIG_IO: EXIT.error,
  /** A flag value is invalid (duration, URL, mutually exclusive flags). */
  CLI_ERR_USAGE: EXIT.error,
  /** An output file exists and --force was not given (nothing was written). */
  CLI_ERR_EXISTS: EXIT.error,
  /** `host add`: the name is already a host of the fleet (released, or pending in hosts.json). */
  CLI_ERR_HOST_EXISTS: EXIT.error,
  /** `host add`: --channel names a channel the fleet does not declare. */
  CLI_ERR_CHANNEL_UNKNOWN: EXIT.error,
  /** A key or certificate file is unreadable or not a usable key. */
  CLI_ERR_KEY: EXIT.error,
  /** A key is not trusted (not an active slot of trust.json, retired, mismatched). */
  CLI_ERR_KEY_UNTRUSTED: EXIT.rejected,
  /** Connection refused, DNS, TLS handshake, timeout: the CP was not reached. */
  CLI_ERR_CP_UNREACHABLE: EXIT.unreachable,
  /** The CP does not know the rollout named on the command line. */
  CLI_ERR_ROLLOUT_UNKNOWN: EXIT.refused,
  /** The CP answered 4xx/5xx with its typed error body. */
  CLI_ERR_CP_REFUSED: EXIT.refused,
  /** The CP answered something that is not the contract. */
  CLI_ERR_CP_BAD_RESPONSE: EXIT.badResponse,
  /** `audit`: --from/--to are not UTC days in order, or the range is too long. */
  AUDIT_ERR_USAGE: EXIT.error,
  /** `audit`: an input path is unreadable, or holds no release / no evidence file. */
  AUDIT_ERR_INPUT: EXIT.error,
  /** `audit`: trust.json is unusable or differs from --trust-sha256. */
  AUDIT_ERR_TRUST: EXIT.rejected,
  /** `audit`: a signed file of a release fails verification at its signedAt. */
  AUDIT_ERR_RELEASE: EXIT.rejected,
  /** `audit`: a release is signed by a key of the slot that was not valid at its signedAt. */
  AUDIT_ERR_RELEASE_KEY: EXIT.rejected,
  /** `audit`: no verified release declares the host with a public key. */
  AUDIT_ERR_HOST_UNKNOWN: EXIT.rejected,
  /** `audit`: evidence is malformed or its host signature does not verify. */
  AUDIT_ERR_EVIDENCE: EXIT.rejected,
  /** `audit`: evidence of another host given (or filed) as this host's: a replay. */
  AUDIT_ERR_EVIDENCE_HOST: EXIT.rejected,
  /** `audit`: evidence signed by a host key other than the one declared at its time. */
  AUDIT_ERR_EVIDENCE_KEY: EXIT.rejected,
} as const satisfies Record<string, ExitCode>;

/** One of {@link CLI_ERROR_CODES}' keys. */
export type CliErrorCode = keyof typeof CLI_ERROR_CODES;

/** Options of {@link CliError}. */
export interface CliErrorOptions {
  /** What the operator can do about it (printed after the message). */
  readonly hint?: string;
  /** Machine-readable details (path, status, issues…). */
  readonly context?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** An expected failure of an operator command. */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly hint: string | null;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: CliErrorCode, message: string, options: CliErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.hint = options.hint ?? null;
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }
}

/** True for a {@link CliError}. */
export function isCliError(e: unknown): e is CliError {
  return e instanceof CliError;
}

/**
 * The exit code an error stands for; anything that is not a CliError is a
 * broken invariant and is rethrown by the caller, never mapped here.
 *
 * @example exitCodeFor(new CliError('CLI_ERR_CP_UNREACHABLE', '…')) // 3
 */
export function exitCodeFor(e: CliError): ExitCode {
  return CLI_ERROR_CODES[e.code];
}

/**
 * The message printed on stderr: `nixfleet <cmd>: CODE: message` plus the
 * hint on its own line.
 *
 * @example formatCliError('status', e) // "nixfleet status: CLI_ERR_CONFIG_MISSING: …\n  hint: run …"
 */
export function formatCliError(command: string, e: CliError): string {
  const head = `nixfleet ${command}: ${e.code}: ${e.message}`;
  return e.hint === null ? head : `${head}\n  hint: ${e.hint}`;
}
