// The signed health gate (rollout manifest `healthGate`) as enforce probes.
// Each condition becomes one probe `health-gate-<field>` of kind
// `health-gate`: it is declared in the probe topology, observed like any
// probe, and its failure takes the enforce-probe path (the wave holds, the
// reducer times sustained failure and applies onHealthFailure). Fails
// closed: a condition this agent cannot measure, or a manifest it cannot
// read for the rollout it is converging, is a probe that always fails.
import { validateContract, type RolloutManifest } from '../../contracts/index.ts';
import type { StateStore } from '../state/store.ts';

/** The health gate of a rollout, as signed. */
export type HealthGate = RolloutManifest['healthGate'];

/** A measurable gate condition, or why it cannot be measured. */
export type GateCondition =
  | { readonly field: 'systemdFailedUnits'; readonly max: number }
  | { readonly field: string; readonly unmeasurable: string };

/** A health-gate probe (not in health-checks.json: derived from the signed manifest). */
export interface HealthGateProbe {
  readonly name: string;
  readonly kind: 'health-gate';
  readonly mode: 'enforce';
  readonly intervalSeconds: number;
  readonly condition: GateCondition;
}

/** Where the gate came from: the rollout's manifest, or why it is unknown. */
export type GateSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'gate'; readonly gate: HealthGate }
  | { readonly kind: 'unreadable'; readonly rolloutId: string; readonly reason: string };

/** Gate probes run as often as the reducer needs to see a breach early. */
export const GATE_INTERVAL_SECONDS = 30;

const probe = (field: string, condition: GateCondition): HealthGateProbe => ({
  name: `health-gate-${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/[^a-z0-9-]/g, '-')}`,
  kind: 'health-gate',
  mode: 'enforce',
  intervalSeconds: GATE_INTERVAL_SECONDS,
  condition,
});

/**
 * The probes a gate source demands, sorted by name. Pure.
 *
 * @example gateProbes({ kind: 'gate', gate: { systemdFailedUnits: { max: 0 } } })
 *   // [{ name: 'health-gate-systemd-failed-units', condition: { field: 'systemdFailedUnits', max: 0 }, … }]
 */
export function gateProbes(source: GateSource): HealthGateProbe[] {
  if (source.kind === 'none') return [];
  if (source.kind === 'unreadable') {
    return [
      probe('manifest', {
        field: 'manifest',
        unmeasurable: `the signed manifest of ${source.rolloutId} is unreadable (${source.reason}): its health gate cannot be checked`,
      }),
    ];
  }
  const out: HealthGateProbe[] = [];
  for (const [field, value] of Object.entries(source.gate)) {
    if (value === null || value === undefined) continue;
    if (field === 'systemdFailedUnits') {
      const max = (value as { max?: unknown }).max;
      out.push(
        typeof max === 'number' && Number.isInteger(max) && max >= 0
          ? probe(field, { field, max })
          : probe(field, { field, unmeasurable: 'systemdFailedUnits.max is not a count' }),
      );
    } else {
      out.push(
        probe(field, {
          field,
          unmeasurable: `healthGate.${field} is signed but this agent cannot measure it; upgrade the agent or remove the condition`,
        }),
      );
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The gate of `rolloutId` from the manifest cache. The cache holds only
 * manifests the dispatch worker verified (exact signed bytes), so reading it
 * back needs no second signature check; an unreadable entry fails closed.
 */
export function gateOfRollout(store: StateStore, rolloutId: string | null): GateSource {
  if (rolloutId === null) return { kind: 'none' };
  const cached = store.loadManifest(rolloutId);
  if (cached === null)
    return { kind: 'unreadable', rolloutId, reason: 'not in the manifest cache' };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cached.bytes).toString('utf8'));
  } catch {
    return { kind: 'unreadable', rolloutId, reason: 'not JSON' };
  }
  const v = validateContract('rollout-manifest', value);
  if (!v.ok) return { kind: 'unreadable', rolloutId, reason: 'not a rollout manifest' };
  return { kind: 'gate', gate: v.value.healthGate };
}

/**
 * Judges a failed-units observation against the gate. Pure.
 *
 * @example judgeFailedUnits(['nginx.service'], 0) // { ok: false, reason: '1 failed systemd unit(s) (max 0): nginx.service' }
 */
export function judgeFailedUnits(
  units: readonly string[],
  max: number,
): { readonly ok: boolean; readonly reason: string } {
  const shown = units.slice(0, 10).join(', ') + (units.length > 10 ? ', …' : '');
  return units.length <= max
    ? { ok: true, reason: `${units.length} failed systemd unit(s) (max ${max})` }
    : { ok: false, reason: `${units.length} failed systemd unit(s) (max ${max}): ${shown}` };
}
