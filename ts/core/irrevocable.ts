// Irrevocable values (docs/fleet-authors.md, "Values that must never
// change"): the comparison the release and the agent share. A value is
// compared by its signed digest only, so a sensitive value (signed without
// its value) is guarded the same way. Pure: no I/O, no clock.
//
// A change of a name between two sets is one of:
//   changed — both sets have it with different digests;
//   removed — only the old set has it.
// A name only the new set has is an addition: the first declaration sets it.

/** One signed value: its digest and, unless sensitive, the value. */
// Type aliases, not interfaces: assignable to the generated (open) contract types.
export type IrrevocableValue = {
  readonly sha256: string;
  readonly value: string | number | boolean | null;
  readonly sensitive: boolean;
};

/** A host's signed values, by name. */
export type IrrevocableSet = Readonly<Record<string, IrrevocableValue>>;

/** A recorded acceptance (contracts/_irrevocable.nix `acceptance`). */
export type IrrevocableAcceptance = {
  readonly host: string;
  readonly name: string;
  readonly oldSha256: string | null;
  readonly newSha256: string | null;
  readonly oldValue: string | number | boolean | null;
  readonly newValue: string | number | boolean | null;
  readonly acceptedBy: string;
  readonly ciCommit: string;
  readonly acceptedAt: string;
};

/** One value that a new set changes or removes. */
export interface IrrevocableChange {
  readonly host: string;
  readonly name: string;
  readonly kind: 'changed' | 'removed';
  readonly old: IrrevocableValue;
  /** null for a removal. */
  readonly next: IrrevocableValue | null;
}

/**
 * Every value of `previous` that `next` changes or removes, sorted by name.
 *
 * @example diffIrrevocable('hive-01', { serverName: a }, { serverName: b }) // [{ kind: 'changed', … }]
 */
export function diffIrrevocable(
  host: string,
  previous: IrrevocableSet,
  next: IrrevocableSet,
): IrrevocableChange[] {
  const out: IrrevocableChange[] = [];
  for (const name of Object.keys(previous).sort()) {
    const old = previous[name]!;
    const n = Object.hasOwn(next, name) ? next[name]! : null;
    if (n === null) out.push({ host, name, kind: 'removed', old, next: null });
    else if (n.sha256 !== old.sha256) out.push({ host, name, kind: 'changed', old, next: n });
  }
  return out;
}

/** A value as the refusals and `nixfleet verify` print it (never a sensitive value). */
export function showIrrevocable(v: IrrevocableValue | null): string {
  if (v === null) return '(removed)';
  if (v.sensitive || v.value === null) return `<sensitive sha256:${v.sha256.slice(0, 12)}…>`;
  return JSON.stringify(v.value);
}

/** Whether `acceptances` record the change of `host`'s `name` to `next` (null: its removal). */
export function acceptanceCovers(
  acceptances: readonly IrrevocableAcceptance[],
  host: string,
  name: string,
  next: IrrevocableValue | null,
): IrrevocableAcceptance | null {
  const want = next === null ? null : next.sha256;
  return (
    acceptances.find((a) => a.host === host && a.name === name && a.newSha256 === want) ?? null
  );
}

/** The agent's verdict on a target's signed values against its current generation's. */
export type IrrevocableVerdict =
  | { readonly ok: true; readonly accepted: readonly IrrevocableAcceptance[] }
  | {
      readonly ok: false;
      readonly unaccepted: readonly IrrevocableChange[];
      readonly detail: string;
    };

/**
 * Judges a dispatch target: every value of the current generation that the
 * target changes or removes must be covered by an acceptance signed for this
 * host. `current` null means the values of the running generation are not
 * known (no signed manifest for it): nothing to protect yet, the release's
 * own check applies.
 *
 * @example judgeIrrevocable('hive-01', current, target, entry.irrevocableAcceptances ?? [])
 */
export function judgeIrrevocable(
  host: string,
  current: IrrevocableSet | null,
  target: IrrevocableSet,
  acceptances: readonly IrrevocableAcceptance[],
): IrrevocableVerdict {
  if (current === null) return { ok: true, accepted: [] };
  const changes = diffIrrevocable(host, current, target);
  const accepted: IrrevocableAcceptance[] = [];
  const unaccepted: IrrevocableChange[] = [];
  for (const c of changes) {
    const a = acceptanceCovers(acceptances, host, c.name, c.next);
    if (a) accepted.push(a);
    else unaccepted.push(c);
  }
  if (unaccepted.length === 0) return { ok: true, accepted };
  return {
    ok: false,
    unaccepted,
    detail: unaccepted
      .map((c) => `${c.name}: ${showIrrevocable(c.old)} -> ${showIrrevocable(c.next)}`)
      .join('; '),
  };
}
