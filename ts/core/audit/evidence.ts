// Host-signed evidence for the auditor's statement. Inputs are the host's own
// files (`{ payload, signature }`: the collector's evidence.json, an agent's
// `<probe>.evidence.json`), one CP evidence object (`{ payloadJcs,
// signature }`), or an export of rollout events (`nixfleet rollout events
// <id> --json`, a document or JSON lines) whose ProbeResults carry the
// agent's signature. Only the signed payload bytes are believed: an export's
// own fields (seq, at, kind) are not signed and are never read as facts.
import type { ProbePayload } from '../../contracts/index.ts';
import {
  CLOCK_SKEW_SLACK_SECS,
  canonicalBytes,
  decodeBase64Strict,
  encodeUtf8,
  parseJsonBytes,
  parseTimestamp,
  publicKeyFromOpenSsh,
  verifySignedPayload,
  type PublicKey,
} from '../../trust/index.ts';
import { parseCanonical } from '../../trust/verify-signed.ts';
import type { VerifiedRelease } from './releases.ts';
import { auditError, type AuditError, type AuditEvidenceFile } from './types.ts';

/** A payload whose host signature verified under the key the fleet declared at its time. */
export interface VerifiedEvidence {
  readonly source: string;
  readonly sha256: string;
  readonly tsMs: number;
  readonly payload: ProbePayload;
  readonly signerFingerprint: string;
}

/** Verified evidence of the audited host, and the count of what says nothing about it. */
export interface EvidenceSet {
  readonly items: VerifiedEvidence[];
  readonly otherHosts: number;
  readonly beforeHistory: number;
  readonly unsigned: number;
}

interface SignedItem {
  readonly source: string;
  readonly bytes: Uint8Array;
  readonly signature: string | null;
  /** The host an export entry files it under (null for the host's own files). */
  readonly filedUnder: string | null;
}

type Result<T> = { ok: true; value: T } | { ok: false; error: AuditError };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const FIX_TAMPERED =
  'this evidence is not what the host signed (altered, truncated, or signed by another key): collect it again from the host or the control plane export, and do not state anything from this copy';

const malformed = (source: string, why: string): AuditError =>
  auditError(
    'AUDIT_ERR_EVIDENCE',
    source,
    why,
    'give --evidence a { payload, signature } file from the host, or `nixfleet rollout events <id> --json` output; other files are not evidence',
  );

/**
 * One event of an export → its signed item, null when it carries no evidence,
 * or why it is refused. The CP's export carries a ProbeResult's evidence in
 * `evidence` and again inside the stored body (`payload`, `body`): every copy
 * present must be the same, so a flip in any of them refuses.
 */
function eventItem(source: string, e: unknown): SignedItem | 'unsigned' | AuditError | null {
  if (!isRecord(e)) return null;
  const copies = [
    e['evidence'],
    isRecord(e['payload']) ? e['payload']['evidence'] : undefined,
    isRecord(e['body']) ? e['body']['evidence'] : undefined,
  ].filter((c) => c !== undefined && c !== null);
  if (copies.length === 0) return null;
  const [ev] = copies;
  if (
    !isRecord(ev) ||
    typeof ev['payloadJcs'] !== 'string' ||
    !(typeof ev['signature'] === 'string' || ev['signature'] === null)
  )
    return malformed(source, 'evidence is not { payloadJcs, signature }');
  const same = (c: unknown): boolean =>
    isRecord(c) && c['payloadJcs'] === ev['payloadJcs'] && c['signature'] === ev['signature'];
  if (!copies.every(same))
    return malformed(source, "the copies of this event's evidence differ: the export was altered");
  if (ev['signature'] === null) return 'unsigned';
  return {
    source,
    bytes: encodeUtf8(ev['payloadJcs']),
    signature: ev['signature'] as string,
    filedUnder: typeof e['hostname'] === 'string' ? e['hostname'] : '',
  };
}

/** The signed items of one input file, or why it is not evidence. */
function itemsOf(file: AuditEvidenceFile): Result<{ items: SignedItem[]; unsigned: number }> {
  const items: SignedItem[] = [];
  let unsigned = 0;
  let refused: AuditError | null = null;
  const addEvents = (events: readonly unknown[], at: (i: number) => string): void => {
    events.forEach((e, i) => {
      const it = eventItem(at(i), e);
      if (it === 'unsigned') unsigned++;
      else if (it !== null && 'code' in it) refused ??= it;
      else if (it !== null) items.push(it);
    });
  };
  const parsed = parseJsonBytes(file.bytes);
  if (parsed.ok) {
    const doc = parsed.value.value;
    if (isRecord(doc) && isRecord(doc['payload']) && typeof doc['signature'] === 'string') {
      const bytes = canonicalBytes(doc['payload']);
      if (!bytes.ok) return { ok: false, error: malformed(file.source, bytes.error.message) };
      items.push({
        source: file.source,
        bytes: bytes.value,
        signature: doc['signature'],
        filedUnder: null,
      });
    } else if (isRecord(doc) && typeof doc['payloadJcs'] === 'string') {
      if (typeof doc['signature'] !== 'string')
        return { ok: false, error: malformed(file.source, 'evidence without a signature') };
      items.push({
        source: file.source,
        bytes: encodeUtf8(doc['payloadJcs']),
        signature: doc['signature'],
        filedUnder: null,
      });
    } else if (isRecord(doc) && Array.isArray(doc['events'])) {
      addEvents(doc['events'], (i) => `${file.source}#events[${i}]`);
    } else if (isRecord(doc) && typeof doc['kind'] === 'string') {
      addEvents([doc], () => `${file.source}#line 1`);
    } else {
      return {
        ok: false,
        error: malformed(file.source, 'not an evidence file or an events export'),
      };
    }
    return refused ? { ok: false, error: refused } : { ok: true, value: { items, unsigned } };
  }
  // `rollout events --follow --json` writes one event per line.
  const lines = new TextDecoder().decode(file.bytes).split('\n');
  const events: unknown[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const l = parseJsonBytes(encodeUtf8(line));
    if (!l.ok || !isRecord(l.value.value) || typeof l.value.value['kind'] !== 'string')
      return {
        ok: false,
        error: malformed(`${file.source}#line ${i + 1}`, `not JSON: ${parsed.error.message}`),
      };
    events.push(l.value.value);
  }
  if (events.length === 0) return { ok: false, error: malformed(file.source, 'empty') };
  addEvents(events, (i) => `${file.source}#event ${i + 1}`);
  return refused ? { ok: false, error: refused } : { ok: true, value: { items, unsigned } };
}

/** Every key the verified releases declare per host, and the one in force at an instant. */
export class HostKeys {
  private readonly byHost = new Map<string, { atMs: number; key: PublicKey }[]>();
  constructor(releases: readonly VerifiedRelease[]) {
    for (const r of releases) {
      for (const [host, h] of Object.entries(r.fleet.hosts)) {
        if (typeof h.pubkey !== 'string') continue;
        const k = publicKeyFromOpenSsh(h.pubkey);
        if (!k.ok) continue;
        const list = this.byHost.get(host) ?? [];
        list.push({ atMs: r.signedAtMs, key: k.value });
        this.byHost.set(host, list);
      }
    }
  }
  /** Distinct keys ever declared for `host`. */
  all(host: string): PublicKey[] {
    const seen = new Map<string, PublicKey>();
    for (const e of this.byHost.get(host) ?? []) seen.set(e.key.fingerprint, e.key);
    return [...seen.values()];
  }
  /** The key of the newest release signed at or before `atMs` (releases come oldest first). */
  at(host: string, atMs: number): PublicKey | null {
    let found: PublicKey | null = null;
    for (const e of this.byHost.get(host) ?? []) if (e.atMs <= atMs) found = e.key;
    return found;
  }
}

/** Verifies `item` under one of `keys`; the contract and the hostname are part of the check. */
function verifyUnder(item: SignedItem, keys: readonly PublicKey[], host: string, sig: Uint8Array) {
  let last: string | null = null;
  for (const key of keys) {
    const r = verifySignedPayload(item.bytes, sig, {
      publicKey: key,
      contract: 'probe-payload',
      expectedHostname: host,
    });
    if (r.ok) return { ok: true as const, value: r.value };
    last = `${r.error.code}: ${r.error.message}`;
  }
  return { ok: false as const, why: last ?? 'no key' };
}

/**
 * Verifies every signed payload of every input. The audited host's payloads
 * must verify under a key its signed fleet declared and be signed by the key
 * declared at their own time; a payload of another host given as this host's
 * file, or filed under another host than it names, is a replay and refused.
 * Payloads of other hosts in an export are verified when their key is declared.
 */
export function verifyEvidence(
  files: readonly AuditEvidenceFile[],
  host: string,
  keys: HostKeys,
  now: Date,
): Result<EvidenceSet> {
  const bySha = new Map<string, VerifiedEvidence>();
  let otherHosts = 0;
  let beforeHistory = 0;
  let unsigned = 0;
  for (const file of files) {
    const got = itemsOf(file);
    if (!got.ok) return got;
    unsigned += got.value.unsigned;
    for (const item of got.value.items) {
      const parsed = parseCanonical(item.bytes, 'evidence payload');
      if (!parsed.ok)
        return {
          ok: false,
          error: auditError(
            'AUDIT_ERR_EVIDENCE',
            item.source,
            `${parsed.error.code}: ${parsed.error.message}`,
            FIX_TAMPERED,
          ),
        };
      const named = parsed.value['hostname'];
      if (typeof named !== 'string')
        return { ok: false, error: malformed(item.source, 'the payload names no hostname') };
      if (
        (item.filedUnder !== null && item.filedUnder !== named) ||
        (item.filedUnder === null && named !== host)
      ) {
        return {
          ok: false,
          error: auditError(
            'AUDIT_ERR_EVIDENCE_HOST',
            item.source,
            `payload signed for host ${named}, given as evidence of ${item.filedUnder ?? host}: evidence of one host replayed as another's`,
            `give only ${host}'s own evidence files; an export whose entries name one host and carry another's payload was altered`,
          ),
        };
      }
      const sig = decodeBase64Strict(item.signature ?? '');
      if (sig === null)
        return {
          ok: false,
          error: auditError(
            'AUDIT_ERR_EVIDENCE',
            item.source,
            'the signature is not base64',
            FIX_TAMPERED,
          ),
        };
      if (named !== host) {
        const theirs = keys.all(named);
        if (theirs.length > 0) {
          const v = verifyUnder(item, theirs, named, sig);
          if (!v.ok)
            return {
              ok: false,
              error: auditError('AUDIT_ERR_EVIDENCE', item.source, v.why, FIX_TAMPERED),
            };
        }
        otherHosts++;
        continue;
      }
      const v = verifyUnder(item, keys.all(host), host, sig);
      if (!v.ok)
        return {
          ok: false,
          error: auditError('AUDIT_ERR_EVIDENCE', item.source, v.why, FIX_TAMPERED),
        };
      const payload = v.value.value;
      const tsMs = parseTimestamp(payload.ts) ?? Number.NaN;
      if (!(tsMs <= now.getTime() + CLOCK_SKEW_SLACK_SECS * 1000)) {
        return {
          ok: false,
          error: auditError(
            'AUDIT_ERR_EVIDENCE',
            item.source,
            `signed with ts ${payload.ts}, after the verification instant`,
            "check this machine's clock and the host's; evidence cannot come from the future",
          ),
        };
      }
      const inForce = keys.at(host, tsMs);
      if (inForce === null) {
        beforeHistory++;
        continue;
      }
      if (inForce.fingerprint !== v.value.signerFingerprint) {
        return {
          ok: false,
          error: auditError(
            'AUDIT_ERR_EVIDENCE_KEY',
            item.source,
            `signed at ${payload.ts} by host key ${v.value.signerFingerprint}, but the release in force then declares ${inForce.fingerprint} for ${host}`,
            'evidence counts only under the host key the signed fleet declared at its time: ask when the host key changed, and collect evidence signed by the declared key',
          ),
        };
      }
      if (!bySha.has(v.value.sha256)) {
        bySha.set(v.value.sha256, {
          source: item.source,
          sha256: v.value.sha256,
          tsMs,
          payload,
          signerFingerprint: v.value.signerFingerprint,
        });
      }
    }
  }
  const items = [...bySha.values()].sort(
    (a, b) => a.tsMs - b.tsMs || (a.sha256 < b.sha256 ? -1 : 1),
  );
  return { ok: true, value: { items, otherHosts, beforeHistory, unsigned } };
}
