// Host-signed probe evidence (book §1.6, RFC-0007 §7): every probe result is
// turned into a canonical `probe-payload`, signed by the SSH host key, kept
// as `<stateDir>/evidence/<probe>.evidence.json` (payload and signature in
// one atomic file) and `<probe>.json` + `.sig` (the exact bytes), which an
// auditor checks with `nixfleet verify probe`, and the payload with its signature
// rides on the ProbeResult event. Must never sign anything but a
// probe-payload.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProbePayload } from '../../contracts/index.ts';
import { toRfc3339 } from '../../core/index.ts';
import { canonicalBytes, encodeBase64, signBytes, type PrivateKey } from '../../trust/index.ts';
import { writeFileAtomic } from '../state/atomic-file.ts';
import { safeName } from '../state/store.ts';
import type { ProbeSpec } from './config.ts';
import type { ProbeOutcome } from './runners.ts';

/** A signed payload: its canonical bytes and raw signature. */
export interface SignedEvidence {
  readonly payload: ProbePayload;
  readonly bytes: Uint8Array;
  readonly signature: Uint8Array;
  /** base64 of `signature`, as carried by ProbeResult. */
  readonly signatureBase64: string;
}

/** What a ProbeResult carries so an auditor can verify it from CP data alone. */
export interface ProbeEvidence {
  /** base64 ed25519 signature by the host key. */
  readonly signature: string;
  /** The probe-payload object; its JCS bytes are what was signed. */
  readonly payload: ProbePayload;
}

/** The kernel boot id (Linux), `unknown` elsewhere. */
export function readBootId(path = '/proc/sys/kernel/random/boot_id'): string {
  try {
    return readFileSync(path, 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Builds and signs the payload of one probe observation.
 *
 * @example signProbeResult({ spec, outcome, at, hostname, bootId, generation, rolloutId, key })
 */
export function signProbeResult(input: {
  readonly spec: ProbeSpec;
  readonly outcome: ProbeOutcome;
  readonly at: number;
  readonly hostname: string;
  readonly bootId: string;
  readonly generation: string | null;
  readonly rolloutId: string | null;
  readonly key: PrivateKey;
}): SignedEvidence {
  const { spec, outcome } = input;
  const payload: ProbePayload = {
    schemaVersion: 1,
    hostname: input.hostname,
    probe: spec.name,
    kind: spec.kind,
    mode: spec.mode,
    status: outcome.status,
    ts: toRfc3339(input.at),
    bootId: input.bootId,
    generationHash: input.generation,
    rolloutId: input.rolloutId,
    schema: spec.kind === 'evidence' ? spec.framework : null,
    controls: (outcome.subResults ?? []).map((s) => ({
      controlId: s.control_id,
      status: s.status,
      framework: s.framework,
      article: s.article,
    })),
    output: { ...outcome.output, failureReason: outcome.failureReason },
  };
  const bytes = canonicalBytes(payload);
  if (!bytes.ok) throw new Error(`probe payload is not canonicalisable: ${bytes.error.message}`);
  const signature = signBytes(bytes.value, input.key);
  return { payload, bytes: bytes.value, signature, signatureBase64: encodeBase64(signature) };
}

/**
 * Writes the latest signed payload of a probe under `dir`, twice:
 * `<probe>.evidence.json` — `{ payload, signature }` as a ProbeResult carries them, in one
 * atomic file, so a copy taken while the agent runs is always a matching pair (what auditors
 * should collect) — and `<probe>.json` + `.json.sig`, the exact signed bytes and the raw
 * signature. The latter are two files: each is atomic, but a reader between the two renames
 * can see a new payload with the old signature.
 */
export function storeEvidence(dir: string, e: SignedEvidence): void {
  const base = join(dir, safeName(e.payload.probe));
  const pair = JSON.stringify({ payload: e.payload, signature: e.signatureBase64 });
  writeFileAtomic(`${base}.evidence.json`, new TextEncoder().encode(pair), { mode: 0o644 });
  writeFileAtomic(`${base}.json`, e.bytes, { mode: 0o644 });
  writeFileAtomic(`${base}.json.sig`, e.signature, { mode: 0o644 });
}
