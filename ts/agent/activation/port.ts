// The activation port: what the reducer loop needs from whatever switches
// the system (beside the probe port, ProbeControl). The loop depends on this
// interface only; the activation worker implements it over a backend (nixos,
// sandbox). Must never decide what an outcome means: the outcome comes back
// to the loop as a Local* event and core decides.
import type { DeferredComponent } from '../../core/index.ts';
import type { SwitchHandle } from './backend.ts';

/** A launched switch, persisted in the agent snapshot across restarts. */
export interface SavedActivation {
  readonly kind: 'switch' | 'rollback';
  readonly handle: SwitchHandle;
}

/** The loop's view of activation. */
export interface ActivationPort {
  /** `switch_method` reported in ActivationStarted. */
  readonly switchMethod: string;
  /** What is in flight, if anything (a dispatch arriving meanwhile waits). */
  readonly inFlight: 'switch' | 'rollback' | null;
  /** Basename of what the current-system link points at; `null` when absent. */
  currentSystem(): Promise<string | null>;
  /**
   * LocalFireSwitch. `deferred` is the component that deferred this very
   * closure before (from the snapshot): the profile is set again but the
   * live switch is not retried until the host boots into it.
   */
  fireSwitch(target: string, deferred: DeferredComponent | null): void;
  /** LocalFireRollbackTo. */
  fireRollback(closure: string): void;
  /** LocalResumeActivation: poll a switch launched before a restart. */
  resume(saved: SavedActivation): void;
}
