// Probe bookkeeping and the per-host soak/probe gate (RFC-0005 §6, RFC-0007
// §8.3), shared by the agent reducer, the CP mirror and the planner's
// wave-promotion gate so all three read "passing since activation" the same
// way. Must never decide transitions itself; it only reports.
import { formatDuration } from '../duration.ts';
import type { EpochMs } from '../time.ts';
import type { ProbeMode, ProbeStatus } from '../wire.ts';
import type { HostRolloutState, ProbeRecord } from './types.ts';

/** Why a Soaking host may not converge yet, as a stable code plus detail. */
export interface ConvergenceBlock {
  readonly code:
    | 'NOT_SOAKING'
    | 'CLOSURE_MISMATCH'
    | 'AWAITING_PROBE_TOPOLOGY'
    | 'AWAITING_PROBE'
    | 'PROBE_FAILING'
    | 'SOAK_NOT_ELAPSED';
  readonly detail: string;
  /** Probes involved (awaited or failing), sorted. */
  readonly probes: readonly string[];
}

/**
 * When soak ends for this host: the dispatch's `soak_due_at`, but never
 * earlier than activation + the wave's soak, so a slow activation still
 * soaks for the full window on the new closure.
 *
 * @example soakEndsAt(record) >= record.soakDueAt
 */
export function soakEndsAt(s: HostRolloutState): EpochMs {
  const fromActivation =
    s.activationCompletedAt === null ? s.soakDueAt : s.activationCompletedAt + s.soakMs;
  return Math.max(s.soakDueAt, fromActivation);
}

/** Names of enforce-mode probes: declared ones plus any reported as enforce. */
export function enforceProbeNames(s: HostRolloutState): string[] {
  const names = new Set<string>();
  for (const p of s.probeTopology ?? []) if (p.mode === 'enforce') names.add(p.name);
  for (const [name, rec] of Object.entries(s.probes)) if (rec.mode === 'enforce') names.add(name);
  return [...names].sort();
}

/** Enforce probes whose latest result is Fail, sorted. */
export function failingEnforceProbes(s: HostRolloutState): string[] {
  const out: string[] = [];
  for (const [name, rec] of Object.entries(s.probes)) {
    if (rec.mode === 'enforce' && rec.status === 'Fail') out.push(name);
  }
  return out.sort();
}

/**
 * The probe half of the soak gate: topology declared, every enforce probe has
 * a Pass observed at or after activation and none has Fail as latest result.
 * Returns `null` when the probes allow convergence.
 */
export function probeGateBlock(s: HostRolloutState): ConvergenceBlock | null {
  if (s.probeTopology === null) {
    return { code: 'AWAITING_PROBE_TOPOLOGY', detail: 'awaiting probe topology', probes: [] };
  }
  const failing = failingEnforceProbes(s);
  if (failing.length > 0) {
    return {
      code: 'PROBE_FAILING',
      detail: `enforce probe failing: ${failing.join(', ')}`,
      probes: failing,
    };
  }
  const since = s.activationCompletedAt ?? Number.POSITIVE_INFINITY;
  const awaited = enforceProbeNames(s).filter((name) => {
    const rec = s.probes[name];
    return rec === undefined || rec.lastPassAt === null || rec.lastPassAt < since;
  });
  if (awaited.length > 0) {
    return {
      code: 'AWAITING_PROBE',
      detail: `awaiting first pass of enforce probe: ${awaited.join(', ')}`,
      probes: awaited,
    };
  }
  return null;
}

/**
 * Full convergence check for a Soaking host at `now` (RFC-0005 §4.2
 * Converged): current == target, probes pass, soak elapsed. `slackMs` widens
 * the soak comparison when judging another clock's timestamp (the CP judging
 * the agent's `converged_at`).
 */
export function convergenceBlock(
  s: HostRolloutState,
  now: EpochMs,
  slackMs: number,
): ConvergenceBlock | null {
  if (s.state !== 'Soaking') {
    return { code: 'NOT_SOAKING', detail: `host is ${s.state}, not Soaking`, probes: [] };
  }
  if (s.currentClosure !== s.targetClosure) {
    return {
      code: 'CLOSURE_MISMATCH',
      detail: `current closure ${s.currentClosure ?? 'unknown'} is not the target ${s.targetClosure}`,
      probes: [],
    };
  }
  const probes = probeGateBlock(s);
  if (probes !== null) return probes;
  const end = soakEndsAt(s);
  if (now + slackMs < end) {
    return { code: 'SOAK_NOT_ELAPSED', detail: soakLeft(end - now, s.soakMs), probes: [] };
  }
  return null;
}

// What an operator reads in a hold reason: time left and the whole window,
// in seconds (`26m48s of 30m left`), never an instant in epoch ms.
function soakLeft(leftMs: number, soakMs: number): string {
  const left = formatDuration(Math.ceil(Math.max(0, leftMs) / 1000) * 1000);
  return soakMs > 0 ? `${left} of ${formatDuration(soakMs)} left` : `${left} left`;
}

/** Outcome of folding one probe result into a record. */
export interface ProbeUpdate {
  readonly state: HostRolloutState;
  readonly firstObservation: boolean;
  /** First Pass → Fail (or first-ever Fail) of an enforce probe. */
  readonly firstFailure: boolean;
}

/**
 * Folds one probe result into a Soaking record: updates the probe map,
 * stamps first-observed / first-failure times and the sustained-failure
 * window start (`failingSince`). Identical on agent and CP.
 */
export function applyProbeResult(
  s: HostRolloutState,
  result: {
    readonly name: string;
    readonly status: ProbeStatus;
    readonly mode: ProbeMode;
    readonly failureReason: string | null;
    readonly at: EpochMs;
  },
): ProbeUpdate {
  const prev = s.probes[result.name];
  const rec: ProbeRecord = {
    status: result.status,
    mode: result.mode,
    firstObservedAt: prev?.firstObservedAt ?? result.at,
    lastObservedAt: result.at,
    lastPassAt: result.status === 'Pass' ? result.at : (prev?.lastPassAt ?? null),
    failureReason: result.status === 'Fail' ? result.failureReason : null,
  };
  const probes = { ...s.probes, [result.name]: rec };
  const firstFailure =
    result.mode === 'enforce' && result.status === 'Fail' && prev?.status !== 'Fail';
  const anyFailing = Object.values(probes).some((p) => p.mode === 'enforce' && p.status === 'Fail');
  const next: HostRolloutState = {
    ...s,
    probes,
    probeObservedFirstAt: s.probeObservedFirstAt ?? result.at,
    probeFailureFirstAt: firstFailure
      ? (s.probeFailureFirstAt ?? result.at)
      : s.probeFailureFirstAt,
    failingSince: anyFailing ? (s.failingSince ?? result.at) : null,
  };
  return { state: next, firstObservation: prev === undefined, firstFailure };
}

/**
 * Post-convergence probe result: keeps the frozen probe map (the Converged
 * invariant speaks about the moment of convergence) and tracks enforce
 * probes now failing as outstanding failures for the wave-promotion gate.
 */
export function applyOutstandingResult(
  s: HostRolloutState,
  result: { readonly name: string; readonly status: ProbeStatus; readonly mode: ProbeMode },
): HostRolloutState {
  if (result.mode !== 'enforce') return s;
  const has = s.outstandingFailures.includes(result.name);
  if (result.status === 'Fail' && !has) {
    return { ...s, outstandingFailures: [...s.outstandingFailures, result.name].sort() };
  }
  if (result.status === 'Pass' && has) {
    return { ...s, outstandingFailures: s.outstandingFailures.filter((n) => n !== result.name) };
  }
  return s;
}
