// The activation backend interface (ARCHITECTURE.md "Runtime shape"). A
// backend knows where the system profile and the current-system link live,
// how to bind a closure to the profile, and how to launch a detached
// switch-to-configuration whose progress survives an agent restart. The
// activation algorithm (activate.ts) is the same for every backend. Must
// never decide outcomes: backends report facts.

/** Identifies one detached switch so a restarted agent can resume polling it. */
export interface SwitchHandle {
  /** Unique id (unit name suffix / status file name). */
  readonly id: string;
  /** Store basename being switched to. */
  readonly closure: string;
  /** Epoch ms of the launch. */
  readonly startedAt: number;
}

/** What a backend knows about a launched switch. */
export type SwitchStatus =
  | { readonly state: 'running' }
  | { readonly state: 'exited'; readonly exitCode: number | null; readonly stderrTail: string }
  /** The backend cannot tell (e.g. the unit was garbage-collected). */
  | { readonly state: 'unknown' };

/** A place a system can be activated: a real NixOS host or a sandbox root. */
export interface ActivationBackend {
  readonly name: 'nixos' | 'sandbox';
  /** `switch_method` reported in ActivationStarted. */
  readonly switchMethod: string;
  /** Basename of what the current-system link points at; `null` when absent. */
  currentSystem(): Promise<string | null>;
  /** Filesystem path where a store basename's files can be read. */
  storePath(closure: string): string;
  /**
   * Maps an absolute symlink target (e.g. `/nix/store/…`) to where it can be
   * read on this backend (the sandbox store lives under its root).
   */
  resolveAbsolute(target: string): string;
  /**
   * Where a host file a probe names (an absolute path, e.g. the compliance
   * evidence file) is read: itself on NixOS, under the root in the sandbox,
   * whose hosts each have their own `/var`.
   */
  hostFile(path: string): string;
  /** Binds the closure to the system profile (`nix-env --set`); throws AGENT_ERR_ACTIVATION. */
  setProfile(closure: string): Promise<void>;
  /** Launches `switch-to-configuration switch` detached; throws AGENT_ERR_ACTIVATION. */
  launchSwitch(closure: string, now: number): Promise<SwitchHandle>;
  /** Progress of a launched switch. */
  switchStatus(handle: SwitchHandle): Promise<SwitchStatus>;
  /** Default health-checks.json location (docs/agent.md "Probes"). */
  defaultHealthChecksPath(): Promise<string>;
  /**
   * Names of the failed systemd units (the health gate's systemdFailedUnits
   * measure), this agent's own switch units excluded; throws when it cannot
   * tell (the gate probe then fails).
   */
  failedUnits(): Promise<string[]>;
}
