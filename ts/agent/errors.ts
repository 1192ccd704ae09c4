// Error vocabulary of the agent. Owns the one base class and the stable
// AGENT_ERR_* codes (documented in docs/agent.md). Callers branch on `code`,
// never on message text. Must never carry secret material in messages.

/**
 * Stable error codes of the agent.
 *
 * - `AGENT_ERR_CONFIG`: a flag or environment variable is missing or invalid.
 * - `AGENT_ERR_TRUST`: trust.json is missing, unreadable or invalid.
 * - `AGENT_ERR_HOST_KEY`: the SSH host key cannot be read or is not ed25519.
 * - `AGENT_ERR_STATE_CORRUPT`: a queued outbox event could not be parsed (it
 *   is moved aside and the agent continues without it).
 * - `AGENT_ERR_STATE_UNUSABLE`: the durable snapshot (`agent-state.json`),
 *   the rollback marks (`high-water.json`) or a state file of an older agent
 *   being migrated does not parse or validate: the agent does not start and
 *   leaves the file in place (starting fresh would drop the host's quarantine,
 *   deferral, switch in flight and rollback protection).
 * - `AGENT_ERR_STATE_IO`: a state file could not be written.
 * - `AGENT_ERR_CP_UNREACHABLE`: network failure or timeout talking to the CP.
 * - `AGENT_ERR_CP_STATUS`: the CP answered with an unexpected HTTP status.
 * - `AGENT_ERR_CP_PROTOCOL`: the CP answered with a body that is not the contract.
 * - `AGENT_ERR_MANIFEST`: a rollout manifest could not be fetched or verified.
 * - `AGENT_ERR_MANIFEST_ROLLBACK`: a verified rollout manifest was signed before
 *   the newest one this host adopted on its channel (rollback refused; the
 *   dispatch is rejected, the running closure stays).
 * - `AGENT_ERR_IRREVOCABLE_CHANGE`: the dispatch's target changes or removes
 *   an irrevocable value signed with the generation the host runs, and the
 *   signed manifest records no acceptance of that change for this host (the
 *   dispatch is rejected, the running closure stays).
 * - `AGENT_ERR_REALISE`: a closure could not be fetched from the binary caches.
 * - `AGENT_ERR_ACTIVATION`: profile set, switch launch or poll failed.
 * - `AGENT_ERR_PROBES_CONFIG`: health-checks.json is missing or invalid.
 * - `AGENT_ERR_PROBES_MISMATCH`: health-checks.json is absent or differs from
 *   the probe set the rollout manifest signs for this host (reported as a
 *   failing enforce probe).
 * - `AGENT_ERR_PROBES_UNSIGNED`: the rollout manifest signs no probe set for
 *   this host, or is not cached (reported as a failing enforce probe).
 * - `AGENT_ERR_ENROLL`: enrollment or renewal failed.
 * - `AGENT_ERR_TLS`: client certificate or key cannot be loaded.
 * - `AGENT_ERR_START_FAILED`: a file the configuration names exists but
 *   cannot be read (exit 1; a path that does not exist is a configuration
 *   error under the file's own code, exit 2).
 */
export type AgentErrorCode =
  | 'AGENT_ERR_CONFIG'
  | 'AGENT_ERR_TRUST'
  | 'AGENT_ERR_HOST_KEY'
  | 'AGENT_ERR_STATE_CORRUPT'
  | 'AGENT_ERR_STATE_UNUSABLE'
  | 'AGENT_ERR_STATE_IO'
  | 'AGENT_ERR_CP_UNREACHABLE'
  | 'AGENT_ERR_CP_STATUS'
  | 'AGENT_ERR_CP_PROTOCOL'
  | 'AGENT_ERR_MANIFEST'
  | 'AGENT_ERR_MANIFEST_ROLLBACK'
  | 'AGENT_ERR_IRREVOCABLE_CHANGE'
  | 'AGENT_ERR_REALISE'
  | 'AGENT_ERR_ACTIVATION'
  | 'AGENT_ERR_PROBES_CONFIG'
  | 'AGENT_ERR_PROBES_MISMATCH'
  | 'AGENT_ERR_PROBES_UNSIGNED'
  | 'AGENT_ERR_ENROLL'
  | 'AGENT_ERR_TLS'
  | 'AGENT_ERR_START_FAILED';

/** Base error of the agent: a stable `code`, typed context, `cause` chaining. */
export class AgentError extends Error {
  /** Stable code; branch on this. */
  readonly code: AgentErrorCode;
  /** Structured context for logs (never secrets). */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: AgentErrorCode,
    message: string,
    options: { readonly cause?: unknown; readonly context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.context = Object.freeze({ ...(options.context ?? {}) });
  }
}

/**
 * True when `e` is an {@link AgentError}, optionally with the given code.
 *
 * @example if (isAgentError(e, 'AGENT_ERR_CONFIG')) exitCode = 2;
 */
export function isAgentError(e: unknown, code?: AgentErrorCode): e is AgentError {
  return e instanceof AgentError && (code === undefined || e.code === code);
}
