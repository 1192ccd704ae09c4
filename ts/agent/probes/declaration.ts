// The probe set CI signed for this host: its entry's `probes` in the rollout
// manifest the dispatch worker verified and cached (RFC-0005 §2.1: the agent
// acts on signed bytes only). The probe worker checks the closure's
// health-checks.json against it before running anything; when they differ
// the host reports the failing enforce probe below instead of "no probes".
import { validateContract } from '../../contracts/index.ts';
import type { ProbeDecl, ProbeSetByName } from '../../core/index.ts';
import { parseJsonBytes } from '../../trust/index.ts';
import type { StateStore } from '../state/store.ts';

/**
 * The enforce probe that carries a refused probe set to the control plane
 * (declared in the topology, always failing with AGENT_ERR_PROBES_*). Its
 * name is reserved: fleet.nix probes cannot hold the wave in its place.
 */
export const PROBE_SET_PROBE: ProbeDecl = {
  name: 'nixfleet-probe-set',
  kind: 'exec',
  mode: 'enforce',
};

/** What the signed manifest says the host must run. */
export interface SignedProbeSet {
  readonly rolloutId: string | null;
  /** `null`: no signed set is available (see `why`). */
  readonly probes: ProbeSetByName | null;
  readonly why: string | null;
}

/**
 * Looks up `hostname`'s signed probe set in the cached manifest of
 * `rolloutId`. The cache holds only manifests that verified when the
 * dispatch was accepted.
 *
 * @example signedProbeSetFor(store, 'stable@3f2a9c1', 'web-01').probes
 */
export function signedProbeSetFor(
  store: StateStore,
  rolloutId: string | null,
  hostname: string,
): SignedProbeSet {
  const none = (why: string): SignedProbeSet => ({ rolloutId, probes: null, why });
  if (rolloutId === null) return none('the host is in no rollout');
  const cached = store.loadManifest(rolloutId);
  if (cached === null) return none(`the manifest of ${rolloutId} is not cached`);
  const parsed = parseJsonBytes(cached.bytes);
  if (!parsed.ok) return none(`the cached manifest of ${rolloutId} is not JSON`);
  const v = validateContract('rollout-manifest', parsed.value.value);
  if (!v.ok) return none(`the cached manifest of ${rolloutId} is not a rollout manifest`);
  const entry = v.value.hostSet.find((h) => h.hostname === hostname);
  if (!entry) return none(`${hostname} is not in the hostSet of ${rolloutId}`);
  if (entry.probes === undefined || entry.probes === null) {
    return none(`the manifest of ${rolloutId} signs no probe set for ${hostname}`);
  }
  return { rolloutId, probes: entry.probes, why: null };
}
