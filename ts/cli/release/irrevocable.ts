// The irrevocable half of `nixfleet release` (docs/release.md, "Values that
// must never change"): sign each host's declared values as digests (and the
// value unless sensitive), compare them with the previous signed release
// before anything is built, and refuse every change, replacement or removal
// that `--accept-irrevocable-change <host>:<name>` does not accept. Accepted
// changes are recorded, signed, and kept in later releases while the host's
// value is still the accepted one (the agent of a host that has not moved yet
// needs them as much as the auditor).
import {
  acceptanceCovers,
  diffIrrevocable,
  showIrrevocable,
  type IrrevocableAcceptance,
  type IrrevocableChange,
  type IrrevocableSet,
  type IrrevocableValue,
} from '../../core/index.ts';
import type { FleetResolved } from '../../contracts/index.ts';
import { canonicalBytes, sha256Hex } from '../../trust/index.ts';
import { ReleaseError } from './errors.ts';

/** What mkFleet's `irrevocable.<host>.<name>` holds. */
export interface DeclaredIrrevocable {
  readonly value: string | number | boolean;
  readonly sensitive: boolean;
  readonly source: string;
}

/** `host:name` pairs given with `--accept-irrevocable-change`. */
export interface IrrevocableAccept {
  readonly host: string;
  readonly name: string;
}

/** Parses one `--accept-irrevocable-change` value (`host:name`). */
export function parseAccept(text: string): IrrevocableAccept | null {
  const m = /^([a-z0-9][a-z0-9._-]{0,62}):(.+)$/.exec(text);
  return m ? { host: m[1]!, name: m[2]! } : null;
}

/** The signed form of one declared value: SHA-256 of its canonical JSON, the value unless sensitive. */
export function signValue(d: DeclaredIrrevocable): IrrevocableValue {
  const bytes = canonicalBytes(d.value);
  if (!bytes.ok) {
    throw new ReleaseError(
      'RELEASE_ERR_INVALID_FLEET',
      `irrevocable value at ${d.source} cannot be canonicalised: ${bytes.error.message}`,
    );
  }
  return {
    sha256: sha256Hex(bytes.value),
    value: d.sensitive ? null : d.value,
    sensitive: d.sensitive,
  };
}

/** Every host's signed set, from mkFleet's `irrevocable` projection. */
export function signDeclared(
  declared: Readonly<Record<string, Readonly<Record<string, DeclaredIrrevocable>>>>,
): Record<string, IrrevocableSet> {
  const out: Record<string, IrrevocableSet> = {};
  for (const [host, values] of Object.entries(declared)) {
    const set: Record<string, IrrevocableValue> = {};
    for (const name of Object.keys(values).sort()) set[name] = signValue(values[name]!);
    out[host] = set;
  }
  return out;
}

/** Inputs of {@link checkIrrevocable}. */
export interface IrrevocableCheck {
  /** The previous signed fleet.resolved, null for the first release. */
  readonly previous: FleetResolved | null;
  /** Each host's values this release signs. */
  readonly next: Readonly<Record<string, IrrevocableSet>>;
  readonly accept: readonly IrrevocableAccept[];
  readonly acceptedBy: string | null;
  readonly ciCommit: string;
  readonly signedAt: string;
}

const line = (c: IrrevocableChange): string =>
  `${c.host}: ${c.name}: ${showIrrevocable(c.old)} -> ${showIrrevocable(c.next)}`;

/**
 * The acceptances this release signs (new ones, then those kept from the
 * previous release), or a typed refusal: RELEASE_ERR_IRREVOCABLE_CHANGE for
 * unaccepted changes, RELEASE_ERR_ARGS for an acceptance that matches no
 * change or has no `--accepted-by`.
 */
export function checkIrrevocable(c: IrrevocableCheck): {
  readonly fresh: IrrevocableAcceptance[];
  readonly kept: IrrevocableAcceptance[];
} {
  const changes: IrrevocableChange[] = [];
  for (const host of Object.keys(c.next).sort()) {
    const prev = c.previous?.hosts[host];
    // A host the previous release did not have: its first release sets them.
    if (!prev) continue;
    changes.push(...diffIrrevocable(host, prev.irrevocable ?? {}, c.next[host]!));
  }
  const isAccepted = (ch: IrrevocableChange): boolean =>
    c.accept.some((a) => a.host === ch.host && a.name === ch.name);
  const refused = changes.filter((ch) => !isAccepted(ch));
  if (refused.length > 0) {
    throw new ReleaseError(
      'RELEASE_ERR_IRREVOCABLE_CHANGE',
      `this release changes ${refused.length === 1 ? 'a value' : `${refused.length} values`} declared irrevocable since the previous signed release:\n${refused.map((ch) => `  ${line(ch)}`).join('\n')}\nFix: restore the previous value (set it explicitly where a module default changed), or, if the change is intended and its consequences handled, run the release with ${refused.map((ch) => `--accept-irrevocable-change ${ch.host}:${ch.name}`).join(' ')} --accepted-by <who>; the acceptance is signed into the release.`,
      {
        context: {
          changes: refused.map((ch) => ({ host: ch.host, name: ch.name, kind: ch.kind })),
        },
      },
    );
  }
  const unused = c.accept.filter(
    (a) => !changes.some((ch) => ch.host === a.host && ch.name === a.name),
  );
  if (unused.length > 0) {
    throw new ReleaseError(
      'RELEASE_ERR_ARGS',
      `--accept-irrevocable-change ${unused.map((a) => `${a.host}:${a.name}`).join(', ')} matches no change of an irrevocable value in this release (changes: ${changes.length === 0 ? 'none' : changes.map((ch) => `${ch.host}:${ch.name}`).join(', ')}). Fix: remove it, or correct the host or name.`,
    );
  }
  if (changes.length > 0 && (c.acceptedBy === null || c.acceptedBy.trim() === '')) {
    throw new ReleaseError(
      'RELEASE_ERR_ARGS',
      `accepting a change of an irrevocable value needs --accepted-by <who> (or NIXFLEET_ACCEPTED_BY): the signed release records who accepted it.`,
    );
  }
  const fresh: IrrevocableAcceptance[] = changes.map((ch) => ({
    host: ch.host,
    name: ch.name,
    oldSha256: ch.old.sha256,
    newSha256: ch.next?.sha256 ?? null,
    oldValue: ch.old.sensitive ? null : ch.old.value,
    newValue: ch.next === null || ch.next.sensitive ? null : ch.next.value,
    acceptedBy: c.acceptedBy!,
    ciCommit: c.ciCommit,
    acceptedAt: c.signedAt,
  }));
  // Kept while the host still carries the accepted value (or the accepted
  // removal), unless this release records a newer acceptance of that name.
  const kept = (c.previous?.irrevocableAcceptances ?? []).filter((a) => {
    if (fresh.some((f) => f.host === a.host && f.name === a.name)) return false;
    const set = c.next[a.host];
    if (!set) return false;
    const cur = Object.hasOwn(set, a.name) ? set[a.name]! : null;
    return acceptanceCovers([a], a.host, a.name, cur) !== null;
  });
  return { fresh, kept };
}

/**
 * What a release signs about irrevocable values: each host's set (a host
 * not rebuilt keeps its previous closure, and the values signed with it)
 * and the acceptances, after {@link checkIrrevocable} refused any
 * unaccepted change. Logs each new acceptance.
 */
export function guardIrrevocable(o: {
  readonly declared: Readonly<Record<string, Readonly<Record<string, DeclaredIrrevocable>>>>;
  readonly previous: FleetResolved | null;
  readonly allHosts: readonly string[];
  readonly selected: readonly string[];
  readonly accept: readonly IrrevocableAccept[];
  readonly acceptedBy: string | null;
  readonly ciCommit: string;
  readonly signedAt: string;
  readonly log: (line: string) => void;
}): {
  readonly irrevocable: Record<string, IrrevocableSet>;
  readonly acceptances: IrrevocableAcceptance[];
} {
  const declared = signDeclared(o.declared);
  const irrevocable: Record<string, IrrevocableSet> = {};
  for (const h of o.allHosts) {
    const prev = o.previous?.hosts[h];
    irrevocable[h] =
      !o.selected.includes(h) && prev?.closureHash ? (prev.irrevocable ?? {}) : (declared[h] ?? {});
  }
  const { fresh, kept } = checkIrrevocable({ ...o, next: irrevocable });
  for (const a of fresh)
    o.log(`accepted change of irrevocable ${a.host}:${a.name} (by ${a.acceptedBy})`);
  return { irrevocable, acceptances: [...fresh, ...kept] };
}
