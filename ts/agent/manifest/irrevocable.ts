// The irrevocable values of the generation the host runs (docs/agent.md,
// "Irrevocable values"): those signed for this host in a cached rollout
// manifest whose target for it is the closure the host runs now. The cache
// holds only manifests that verified when their dispatch was accepted, and
// a closure's entry carries the values the release signed with it, so no
// other state is kept. Several manifests may target the same closure (a
// later release re-signs an unchanged host): the newest signature wins.
// None: the values are unknown (a host that never activated a signed
// target), and only the release's own check applies.
import { readdirSync } from 'node:fs';
import { validateContract } from '../../contracts/index.ts';
import type { IrrevocableSet } from '../../core/index.ts';
import { parseJsonBytes } from '../../trust/index.ts';
import type { StateStore } from '../state/store.ts';

/** The current generation's signed values and the manifest they come from. */
export interface CurrentIrrevocable {
  readonly values: IrrevocableSet;
  readonly rolloutId: string;
}

/**
 * Looks up `hostname`'s values for `currentClosure` in the manifest cache.
 *
 * @example currentIrrevocable(store, 'hive-01', record.currentClosure)?.values.serverName
 */
export function currentIrrevocable(
  store: StateStore,
  hostname: string,
  currentClosure: string | null,
): CurrentIrrevocable | null {
  if (currentClosure === null) return null;
  let files: string[];
  try {
    files = readdirSync(store.path('manifests')).filter((f) => f.endsWith('.json'));
  } catch {
    return null;
  }
  let best: { found: CurrentIrrevocable; signedAt: string } | null = null;
  for (const f of files) {
    const id = f.slice(0, -5);
    const cached = store.loadManifest(id);
    if (!cached) continue;
    const parsed = parseJsonBytes(cached.bytes);
    if (!parsed.ok) continue;
    const v = validateContract('rollout-manifest', parsed.value.value);
    if (!v.ok) continue;
    const entry = v.value.hostSet.find((h) => h.hostname === hostname);
    if (!entry || entry.targetClosure !== currentClosure) continue;
    const signedAt = v.value.meta.signedAt ?? '';
    if (best === null || signedAt > best.signedAt) {
      best = { found: { values: entry.irrevocable ?? {}, rolloutId: id }, signedAt };
    }
  }
  return best?.found ?? null;
}
