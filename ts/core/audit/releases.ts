// Release history for the auditor's statement: every signed file of every
// release is verified against the trust.json keys that were valid when it
// was signed (its own meta.signedAt), not against today's freshness window:
// an audit reads old releases on purpose. A key is valid at signedAt as
// ts/trust/trust-config.ts says (current and successor always, previous
// until retireAt), and a signature by a key of the slot that was not valid
// then is named as such (a stale key), never accepted.
import type { FleetResolved } from '../../contracts/index.ts';
import {
  CLOCK_SKEW_SLACK_SECS,
  parseTimestamp,
  verifyArtifact,
  verifyBootstrapNonces,
  verifyBytes,
  verifyRevocations,
  verifyRolloutManifest,
  type KeyRole,
  type TrustConfig,
  type VerifyError,
  type VerifyOptions,
  type VerifyResult,
} from '../../trust/index.ts';
import { parseCanonical } from '../../trust/verify-signed.ts';
import { auditError, type AuditError, type AuditRelease, type AuditReleaseFile } from './types.ts';

/** A release whose every signed file verified. */
export interface VerifiedRelease {
  readonly source: string;
  /** SHA-256 of the fleet.resolved bytes. */
  readonly sha256: string;
  readonly signedAt: string;
  readonly signedAtMs: number;
  readonly ciCommit: string | null;
  readonly signer: { readonly role: KeyRole; readonly fingerprint: string };
  readonly artifacts: number;
  readonly fleet: FleetResolved;
}

type Result<T> = { ok: true; value: T } | { ok: false; error: AuditError };

const FLEET = 'fleet.resolved.json';
const SIDECARS: Readonly<
  Record<string, (b: Uint8Array, s: Uint8Array, o: VerifyOptions) => VerifyResult<unknown>>
> = {
  'revocations.json': verifyRevocations,
  'bootstrap-nonces.json': verifyBootstrapNonces,
};
const MANIFEST = /^rollouts\/(.+)\.json$/;

/** The unverified meta.signedAt, read only to pick the instant the signature is judged at. */
function claimedSignedAt(bytes: Uint8Array): number | null {
  const parsed = parseCanonical(bytes, 'artifact');
  if (!parsed.ok) return null;
  const meta = parsed.value['meta'];
  const at =
    meta !== null && typeof meta === 'object'
      ? (meta as Record<string, unknown>)['signedAt']
      : null;
  return typeof at === 'string' ? parseTimestamp(at) : null;
}

/** Which key of the slot produced `signature`, whatever its validity (to name a stale key). */
function anySlotKey(trust: TrustConfig, bytes: Uint8Array, signature: Uint8Array): KeyRole | null {
  const slot = trust.ciReleaseKey;
  for (const role of ['current', 'previous', 'successor'] as const) {
    const key = slot[role];
    if (key && verifyBytes(bytes, signature, key)) return role;
  }
  return null;
}

function refuse(
  source: string,
  file: AuditReleaseFile,
  e: VerifyError,
  trust: TrustConfig,
  at: number | null,
): AuditError {
  const input = `${source}/${file.name}`;
  if (
    (e.kind === 'BadSignature' || e.kind === 'NoTrustedKey' || e.kind === 'AlgorithmMismatch') &&
    file.signature
  ) {
    const role = anySlotKey(trust, file.bytes, file.signature);
    if (role !== null && at !== null) {
      const retire = trust.ciReleaseKey.retireAt?.text ?? 'its removal';
      return auditError(
        'AUDIT_ERR_RELEASE_KEY',
        input,
        `signed at ${new Date(at).toISOString().replace('.000Z', 'Z')} by ciReleaseKey.${role}, which trust.json no longer trusted then (previous keys verify only before retireAt, ${retire})`,
        'a release signed by a retired key is not evidence: ask the organisation which key signed this release and why; audit without it only if it is not the release in question',
      );
    }
  }
  return auditError(
    'AUDIT_ERR_RELEASE',
    input,
    `${e.code}: ${e.message}`,
    'this file is not the one CI signed (altered, truncated, re-formatted, or signed by a key trust.json does not hold): obtain the release again from its origin (the release repository) and check the trust.json copy',
  );
}

/** Verifies one file at its own signedAt with `verify`, and refuses one dated after `now`. */
function verifyFile<T>(
  source: string,
  file: AuditReleaseFile,
  trust: TrustConfig,
  now: Date,
  verify: (bytes: Uint8Array, sig: Uint8Array, o: VerifyOptions) => VerifyResult<T>,
): Result<{ value: T; sha256: string; signedAt: string; signer: VerifiedRelease['signer'] }> {
  if (file.signature === null) {
    return {
      ok: false,
      error: auditError(
        'AUDIT_ERR_RELEASE',
        `${source}/${file.name}`,
        `${file.name} has no ${file.name}.sig`,
        'copy the release directory whole: every .json of a release has its .sig',
      ),
    };
  }
  const at = claimedSignedAt(file.bytes);
  const r = verify(file.bytes, file.signature, {
    trust,
    now: at === null ? now : new Date(at),
    freshnessWindowSecs: 0,
  });
  if (!r.ok) return { ok: false, error: refuse(source, file, r.error, trust, at) };
  if (at !== null && at > now.getTime() + CLOCK_SKEW_SLACK_SECS * 1000) {
    return {
      ok: false,
      error: auditError(
        'AUDIT_ERR_RELEASE',
        `${source}/${file.name}`,
        `signed at ${r.value.signedAt}, after the verification instant ${now.toISOString()}`,
        "a release cannot be signed in the future: check this machine's clock, and where the release came from",
      ),
    };
  }
  return { ok: true, value: r.value };
}

/** Verifies every signed file of one release; the fleet.resolved anchors its manifests. */
function verifyRelease(rel: AuditRelease, trust: TrustConfig, now: Date): Result<VerifiedRelease> {
  const fleetFile = rel.files.find((f) => f.name === FLEET);
  if (!fleetFile) {
    return {
      ok: false,
      error: auditError(
        'AUDIT_ERR_RELEASE',
        rel.source,
        `no ${FLEET} in this release`,
        'point --release-dir at a release directory (what `nixfleet release --release-dir` writes) or a directory of them',
      ),
    };
  }
  const fleet = verifyFile(rel.source, fleetFile, trust, now, verifyArtifact);
  if (!fleet.ok) return fleet;
  let artifacts = 1;
  for (const f of rel.files) {
    if (f.name === FLEET) continue;
    const sidecar = SIDECARS[f.name];
    const manifest = MANIFEST.exec(f.name);
    let r: Result<unknown>;
    if (sidecar) r = verifyFile(rel.source, f, trust, now, sidecar);
    else if (manifest)
      r = verifyFile(rel.source, f, trust, now, (b, s, o) =>
        verifyRolloutManifest(b, s, {
          ...o,
          expectedRolloutId: manifest[1]!,
          fleetResolvedHash: fleet.value.sha256,
        }),
      );
    else continue;
    if (!r.ok) return r;
    artifacts++;
  }
  const v = fleet.value;
  return {
    ok: true,
    value: {
      source: rel.source,
      sha256: v.sha256,
      signedAt: v.signedAt,
      signedAtMs: parseTimestamp(v.signedAt) ?? 0,
      ciCommit: v.value.meta.ciCommit ?? null,
      signer: v.signer,
      artifacts,
      fleet: v.value,
    },
  };
}

/**
 * Verifies a release history: every release, every signed file, at its own
 * signedAt. The same release read twice (a directory and a git commit) counts
 * once. Oldest first.
 *
 * @example verifyReleases(releases, trust, new Date('2026-05-18T00:00:00Z'))
 */
export function verifyReleases(
  releases: readonly AuditRelease[],
  trust: TrustConfig,
  now: Date,
): Result<VerifiedRelease[]> {
  const bySha = new Map<string, VerifiedRelease>();
  for (const rel of releases) {
    const r = verifyRelease(rel, trust, now);
    if (!r.ok) return r;
    if (!bySha.has(r.value.sha256)) bySha.set(r.value.sha256, r.value);
  }
  const out = [...bySha.values()].sort(
    (a, b) => a.signedAtMs - b.signedAtMs || (a.sha256 < b.sha256 ? -1 : 1),
  );
  return { ok: true, value: out };
}
