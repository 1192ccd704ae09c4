// The auditor's statement (book done-criterion 2): for one host and a range
// of UTC days, what it ran and which controls it passed, from the release
// history, trust.json and host-signed evidence alone. Pure: the shell reads
// the bytes, `now` is the verification instant. Any input that fails its
// check refuses the whole statement; a day without signed evidence says
// "no-evidence", never "passed".
import type { AuditStatement } from '../../contracts/index.ts';
import { parseTrustConfigBytes, sha256Hex } from '../../trust/index.ts';
import { toRfc3339 } from '../time.ts';
import { HostKeys, verifyEvidence, type VerifiedEvidence } from './evidence.ts';
import { verifyReleases, type VerifiedRelease } from './releases.ts';
import { auditError, type AuditError, type AuditInput } from './types.ts';

type Day = AuditStatement['days'][number];
type Control = Day['controls'][number];

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** A statement covers at most this many days: a longer range is a typo more often than an audit. */
export const AUDIT_MAX_DAYS = 3660;

/** Midnight UTC of a `YYYY-MM-DD` day, or null when it is not a calendar date. */
export function parseDay(text: string): number | null {
  const m = DATE.exec(text);
  if (!m) return null;
  const at = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return toRfc3339(at).slice(0, 10) === text ? at : null;
}

const usage = (message: string): AuditError =>
  auditError(
    'AUDIT_ERR_USAGE',
    '--from/--to',
    message,
    'give --from and --to as UTC days, YYYY-MM-DD, from ≤ to',
  );

/**
 * The range's first and last midnight (UTC), or why it is not a range
 * (checked before any input is read).
 *
 * @example checkRange('2026-05-16', '2026-05-17', now) // { from: 1778889600000, to: 1778976000000 }
 */
export function checkRange(
  fromText: string,
  toText: string,
  now: Date,
): { from: number; to: number } | AuditError {
  const from = parseDay(fromText);
  const to = parseDay(toText);
  if (from === null || to === null)
    return usage(`not a UTC day: ${from === null ? fromText : toText}`);
  if (to < from) return usage(`--to ${toText} is before --from ${fromText}`);
  const days = (to - from) / DAY_MS + 1;
  if (days > AUDIT_MAX_DAYS) return usage(`${days} days: at most ${AUDIT_MAX_DAYS} per statement`);
  if (to > now.getTime())
    return usage(`--to ${toText} is after the verification instant ${toRfc3339(now.getTime())}`);
  return { from, to };
}

/** Facts of one day's payloads: closures by first appearance, controls by id. */
function dayOf(
  date: string,
  items: readonly VerifiedEvidence[],
  host: string,
  releases: readonly VerifiedRelease[],
): Day {
  const closures = new Map<string | null, Day['closures'][number]>();
  for (const e of items) {
    const c = e.payload.generationHash ?? null;
    const ts = e.payload.ts;
    const seen = closures.get(c);
    if (seen) {
      seen.lastSeen = ts;
      continue;
    }
    const built =
      c === null ? undefined : releases.find((r) => r.fleet.hosts[host]?.closureHash === c);
    closures.set(c, {
      closureHash: c,
      ciCommit: built?.ciCommit ?? null,
      releaseSha256: built?.sha256 ?? null,
      releaseSignedAt: built?.signedAt ?? null,
      firstSeen: ts,
      lastSeen: ts,
    });
  }
  const controls = new Map<string, Control>();
  for (const e of items) {
    if (e.payload.kind !== 'evidence') continue;
    const outputs = (e.payload.output as { controls?: Record<string, unknown> } | null)?.controls;
    for (const c of e.payload.controls) {
      const signed = outputs && typeof outputs === 'object' ? outputs[c.controlId] : undefined;
      const out =
        signed !== null && typeof signed === 'object' ? (signed as Record<string, unknown>) : null;
      const failure = typeof out?.['failure'] === 'string' ? out['failure'] : null;
      const prev = controls.get(c.controlId);
      const frameworks = prev?.frameworks ?? [];
      if (!frameworks.some((f) => f.framework === c.framework && f.article === c.article))
        frameworks.push({ framework: c.framework, article: c.article });
      // The decisive observation: the last failing one, else the last.
      const decisive = !prev || c.status === 'Fail' || prev.status === 'Pass';
      controls.set(c.controlId, {
        controlId: c.controlId,
        status: prev?.status === 'Fail' || c.status === 'Fail' ? 'Fail' : 'Pass',
        frameworks,
        observations: (prev?.observations ?? 0) + 1,
        lastObservedAt: decisive ? e.payload.ts : prev.lastObservedAt,
        output: (decisive ? out : prev.output) as Control['output'],
        failure: decisive ? failure : prev.failure,
        evidenceSha256: decisive ? e.sha256 : prev.evidenceSha256,
      });
    }
  }
  const list = [...controls.values()].sort((a, b) => (a.controlId < b.controlId ? -1 : 1));
  // What the releases of the day's closures checked statically must also be observed at run time.
  const expected = new Set<string>();
  for (const c of closures.values()) {
    const built = releases.find((r) => r.sha256 === c.releaseSha256);
    const f = built?.fleet.complianceFindings?.[host];
    if (f) for (const id of [...f.passed, ...Object.keys(f.failed)]) expected.add(id);
  }
  const missingControls = [...expected].filter((id) => !controls.has(id)).sort();
  const verdict: Day['verdict'] =
    items.length === 0
      ? 'no-evidence'
      : list.length === 0
        ? 'no-control-evidence'
        : list.some((c) => c.status === 'Fail')
          ? 'failed'
          : missingControls.length > 0
            ? 'incomplete'
            : 'passed';
  return {
    date,
    verdict,
    missingControls,
    closures: [...closures.values()],
    controls: list,
    evidence: items.map((e) => ({
      sha256: e.sha256,
      source: e.source,
      ts: e.payload.ts,
      probe: e.payload.probe,
      status: e.payload.status,
      signerFingerprint: e.signerFingerprint,
    })),
  };
}

/**
 * Verifies every input and states, per UTC day of the range, the closures
 * the host ran (with the commit of the verified release that built each),
 * and the controls it passed or failed with their signed outputs.
 *
 * @example
 *   const r = auditStatement({ host: 'web-01', from: '2026-05-16', to: '2026-05-17', trust, releases, evidence }, now);
 *   if (!r.ok) refuse(r.error.code, r.error.input, r.error.fix);
 */
export function auditStatement(
  input: AuditInput,
  now: Date,
): { ok: true; value: AuditStatement } | { ok: false; error: AuditError } {
  const range = checkRange(input.from, input.to, now);
  if ('code' in range) return { ok: false, error: range };
  const { from, to } = range;
  const end = to + DAY_MS;

  const trustSha = sha256Hex(input.trust.bytes);
  if (input.trustSha256 !== undefined && input.trustSha256.toLowerCase() !== trustSha) {
    return {
      ok: false,
      error: auditError(
        'AUDIT_ERR_TRUST',
        input.trust.source,
        `trust.json SHA-256 is ${trustSha}, not the pinned ${input.trustSha256}`,
        'this is not the trust.json the organisation gave you: obtain it again and compare its SHA-256 out of band',
      ),
    };
  }
  const trust = parseTrustConfigBytes(input.trust.bytes);
  if (!trust.ok) {
    return {
      ok: false,
      error: auditError(
        'AUDIT_ERR_TRUST',
        input.trust.source,
        `${trust.error.code}: ${trust.error.message}`,
        "give --trust the trust.json of the fleet (/etc/nixfleet/cp/trust.json or the fleet repository's), unmodified",
      ),
    };
  }
  const releases = verifyReleases(input.releases, trust.value, now);
  if (!releases.ok) return releases;
  const keys = new HostKeys(releases.value);
  if (keys.all(input.host).length === 0) {
    return {
      ok: false,
      error: auditError(
        'AUDIT_ERR_HOST_UNKNOWN',
        input.host,
        `no verified release declares host ${input.host} with a public key (${releases.value.length} release(s) verified)`,
        'check the host name, and give the release history that covers the range (--release-git or --release-dir); without a declared host key no evidence can be attributed to it',
      ),
    };
  }
  const evidence = verifyEvidence(input.evidence, input.host, keys, now);
  if (!evidence.ok) return evidence;

  const inRange = evidence.value.items.filter((e) => e.tsMs >= from && e.tsMs < end);
  const out: Day[] = [];
  for (let at = from; at < end; at += DAY_MS) {
    const date = toRfc3339(at).slice(0, 10);
    out.push(
      dayOf(
        date,
        inRange.filter((e) => e.tsMs >= at && e.tsMs < at + DAY_MS),
        input.host,
        releases.value,
      ),
    );
  }
  const slot = trust.value.ciReleaseKey;
  return {
    ok: true,
    value: {
      schemaVersion: 1,
      host: input.host,
      from: input.from,
      to: input.to,
      generatedAt: toRfc3339(Math.floor(now.getTime() / 1000) * 1000),
      trust: {
        sha256: trustSha,
        ciReleaseKeys: (['current', 'previous', 'successor'] as const).flatMap((role) => {
          const k = slot[role];
          return k ? [{ role, fingerprint: k.fingerprint }] : [];
        }),
      },
      releases: releases.value.map((r) => {
        const h = r.fleet.hosts[input.host];
        const k = keys.at(input.host, r.signedAtMs);
        return {
          source: r.source,
          sha256: r.sha256,
          signedAt: r.signedAt,
          ciCommit: r.ciCommit,
          signer: r.signer,
          artifacts: r.artifacts,
          closureHash: h?.closureHash ?? null,
          hostKeyFingerprint: h && typeof h.pubkey === 'string' && k ? k.fingerprint : null,
        };
      }),
      days: out,
      ignored: {
        outsideRange: evidence.value.items.length - inRange.length,
        otherHosts: evidence.value.otherHosts,
        beforeHistory: evidence.value.beforeHistory,
        unsigned: evidence.value.unsigned,
      },
    },
  };
}
