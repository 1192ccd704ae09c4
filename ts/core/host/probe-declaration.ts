// Whether a rendered probe set (a closure's health-checks.json) carries what
// was declared for the host. One comparison, two callers: `nixfleet release`
// checks the built closure against fleet.nix's declaration before it signs
// anything, and the agent checks the file it is about to run against the
// set the release signed into the rollout manifest. Both sides fail closed:
// a declared probe that is absent or different is never "no probes".
// Pure: values in, verdict out.

/** A probe set by name; values are the resolved (health-checks.json) declarations. */
export type ProbeSetByName = Readonly<Record<string, unknown>>;

/** How a rendered probe set departs from a declaration; each list sorted. */
export interface ProbeSetDiff {
  /** Declared, absent from the rendered set. */
  readonly missing: readonly string[];
  /** Present in both, with a different declaration. */
  readonly different: readonly string[];
  /** Rendered, never declared. */
  readonly extra: readonly string[];
}

/** Structural JSON equality; key order never matters. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => sameJson(ra[k], rb[k]));
}

/**
 * Compares a rendered probe set with a declaration. `rendered === null`
 * stands for "no health-checks.json at all" (every declared probe missing).
 *
 * @example diffProbeSets({ a: p }, null) // => { missing: ['a'], different: [], extra: [] }
 */
export function diffProbeSets(
  declared: ProbeSetByName,
  rendered: ProbeSetByName | null,
): ProbeSetDiff {
  const have = rendered ?? {};
  const missing: string[] = [];
  const different: string[] = [];
  for (const name of Object.keys(declared).sort()) {
    if (!Object.hasOwn(have, name)) missing.push(name);
    else if (!sameJson(declared[name], have[name])) different.push(name);
  }
  const extra = Object.keys(have)
    .filter((n) => !Object.hasOwn(declared, n))
    .sort();
  return { missing, different, extra };
}

/** One line naming what departs from the declaration ("missing: a, b; different: c"). */
export function describeProbeSetDiff(
  diff: ProbeSetDiff,
  options: { readonly withExtra: boolean },
): string {
  const parts: string[] = [];
  if (diff.missing.length > 0) parts.push(`missing: ${diff.missing.join(', ')}`);
  if (diff.different.length > 0) parts.push(`different: ${diff.different.join(', ')}`);
  if (options.withExtra && diff.extra.length > 0)
    parts.push(`not declared: ${diff.extra.join(', ')}`);
  return parts.join('; ');
}

/**
 * The release's check of one built closure: every probe fleet.nix declares
 * for the host must be rendered, identical. Probes the host's own
 * configuration adds on top are allowed (they are signed as rendered).
 * Returns `null` when the closure carries the declaration.
 */
export function closureProbeGap(
  declared: ProbeSetByName,
  rendered: ProbeSetByName | null,
): ProbeSetDiff | null {
  const diff = diffProbeSets(declared, rendered);
  return diff.missing.length === 0 && diff.different.length === 0 ? null : diff;
}

/**
 * Why the agent refuses the probe file it found: `Unsigned` (no signed set
 * to check against) or `Mismatch` (the file is not the signed set).
 */
export interface ProbeSetRefusal {
  readonly kind: 'Mismatch' | 'Unsigned';
  readonly detail: string;
  /** Probes of the signed declaration involved (missing or different), sorted. */
  readonly probes: readonly string[];
}

/**
 * The agent's check before it runs a probe file: the file must be exactly the
 * set the release signed for this host. `signed === null`: the manifest
 * carries no declaration (unsigned, refused); `rendered === null`: no file,
 * which is an empty set only when the signed set is empty too.
 * Returns `null` when the file may be run as the host's probe set.
 *
 * @example judgeProbeSet({}, null) // => null (nothing declared, nothing rendered)
 */
export function judgeProbeSet(
  signed: ProbeSetByName | null,
  rendered: ProbeSetByName | null,
  where: {
    readonly path: string;
    readonly rolloutId: string | null;
    /** Why no signed set is available, when `signed` is null. */
    readonly unsignedWhy?: string;
  },
): ProbeSetRefusal | null {
  const rollout = where.rolloutId ?? 'no rollout';
  if (signed === null) {
    const why = where.unsignedWhy ?? `the manifest of ${rollout} signs no probe set for this host`;
    return {
      kind: 'Unsigned',
      detail: `${why}, so ${where.path} cannot be checked against what CI declared. Fix: re-run \`nixfleet release\` (it signs each host's probe set into the rollout manifest) and publish the release.`,
      probes: [],
    };
  }
  const diff = diffProbeSets(signed, rendered);
  if (diff.missing.length === 0 && diff.different.length === 0 && diff.extra.length === 0) {
    return null;
  }
  const file = rendered === null ? `${where.path} does not exist` : `${where.path} differs`;
  return {
    kind: 'Mismatch',
    detail: `${file} from the probe set signed in ${rollout} (${describeProbeSetDiff(diff, { withExtra: true })}). Fix: the running closure must be the one the release built; re-run \`nixfleet release\` so each declared probe is rendered into the closure.`,
    probes: [...diff.missing, ...diff.different, ...diff.extra].sort(),
  };
}
