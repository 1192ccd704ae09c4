// The agent's timing constants: their names and meaning. The flag table
// (flags.ts) sets each from a flag and holds its default; config.ts parses them.

/** Every timing constant; tests shrink them (CONTRACTS.md "Timing constants"). */
export interface AgentTimings {
  /** Pause between long-polls when the CP answered without a dispatch quickly. */
  readonly pollIntervalMs: number;
  /** Long-poll request timeout (the CP holds the request up to this). */
  readonly longPollTimeoutMs: number;
  /** Heartbeat cadence. */
  readonly heartbeatIntervalMs: number;
  /** How long activation polls the current-system link (POLL_BUDGET). */
  readonly pollBudgetMs: number;
  /** Interval between current-system polls during activation. */
  readonly activationPollMs: number;
  /** Tolerance for agent/CP/CI clock drift (CLOCK_SKEW_SLACK). */
  readonly clockSkewSlackMs: number;
  /** Local quarantine of a closure that failed to switch (QUARANTINE_WINDOW). */
  readonly quarantineWindowMs: number;
  /** At most one ClosureQuarantined report per closure per this interval. */
  readonly quarantineRepostThrottleMs: number;
  /** Sustained enforce-probe failure threshold. */
  readonly sustainedFailureMs: number;
  /** Warn when the CP has been unreachable this long (RFC-0003 §8). */
  readonly offlineGraceMs: number;
  /** Reducer timer tick (sustained failure, soak). */
  readonly tickMs: number;
  /** First retry delay of the outbound queue and the workers. */
  readonly backoffBaseMs: number;
  /** Retry delay cap. */
  readonly backoffMaxMs: number;
  /**
   * After losing an established connection, the agent reconnects at a
   * random point within this window, so a fleet that lost a CP together
   * does not reconnect in one burst.
   */
  readonly reconnectSpreadMs: number;
  /** Per-request timeout for non-long-poll requests. */
  readonly requestTimeoutMs: number;
  /** Time budget of one `nix copy` from a binary cache. */
  readonly realiseTimeoutMs: number;
}
