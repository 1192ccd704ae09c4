// Mutator command fed by the agent event route (RFC-0005 §4.2), as glue: it
// validates the event, lets the core decide whether a record the CP lost is
// adopted from it (core/observe/adopt.ts), applies the event through the core
// and keeps a ProbeResult's signed evidence and failures. Heartbeats are
// heartbeat.ts. Runs inside the mutator; never throws after writing to the
// batch.
import {
  applyHostEvent,
  eventAdoption,
  ownValue,
  parseRfc3339,
  remoteEventFromWire,
  type RemoteHostEvent,
  type TransitionError,
} from '../../core/index.ts';
import type { AgentEvent } from '../../contracts/index.ts';
import { canonicalize, ROLLOUT_ID_PATTERN } from '../../trust/index.ts';
import { CpError } from '../errors.ts';
import { applyCore, hostKey, type Batch } from './batch.ts';
import { policyOf, type RuntimeDeps } from './deps.ts';
import { applyEffects } from './effects.ts';
import { applyAdoption } from './synthesize.ts';

/** Outcome of one agent event: accepted (204), duplicate (204) or refused. */
export type EventOutcome =
  | { readonly kind: 'accepted' | 'duplicate' }
  | { readonly kind: 'refused'; readonly error: CpError };

function refusal(r: TransitionError): CpError {
  const details = { from: r.from, event: r.event, reason: r.message };
  switch (r.code) {
    case 'CORE_ERR_INVARIANT_REJECTED':
      return new CpError('CP_ERR_INVARIANT_REJECTED', r.message, details);
    case 'CORE_ERR_MISMATCHED_EVENT':
      return new CpError('CP_ERR_MISMATCHED_EVENT', r.message, details);
    default:
      return new CpError('CP_ERR_ILLEGAL_TRANSITION', r.message, details);
  }
}

/**
 * Ingests one validated agent event for `hostname` (already checked equal to
 * the certificate CN).
 */
export function ingestEvent(
  deps: RuntimeDeps,
  batch: Batch,
  args: { readonly event: AgentEvent; readonly now: number },
): EventOutcome {
  const { state, metrics } = deps;
  const wire = args.event;
  const rid = wire.rollout_id;
  const host = wire.hostname;
  if (!ROLLOUT_ID_PATTERN.test(rid)) {
    return {
      kind: 'refused',
      error: new CpError(
        'CP_ERR_INVALID_ROLLOUT_ID',
        'rollout_id must match [a-z0-9_-]+@[0-9a-f]+',
      ),
    };
  }
  const known = state.record(rid, host) !== undefined;
  if (
    !known &&
    !state.manifestValues.has(rid) &&
    ownValue(state.model.book.rollouts, rid) === undefined
  ) {
    return {
      kind: 'refused',
      error: new CpError('CP_ERR_UNKNOWN_ROLLOUT', `rollout ${rid} is not known`, {
        rolloutId: rid,
      }),
    };
  }
  if (wire.kind === 'ClosureQuarantined') {
    batch.appendEvent({
      recordedAt: args.now,
      stream: 'agent',
      rolloutId: rid,
      hostname: host,
      agentSeq: wire.seq,
      kind: wire.kind,
      body: wire,
    });
    return { kind: 'accepted' };
  }
  const event: RemoteHostEvent | null = remoteEventFromWire(wire);
  if (event === null) {
    return {
      kind: 'refused',
      error: new CpError('CP_ERR_TIMESTAMP_INVALID', 'an event timestamp is not RFC 3339', {
        kind: wire.kind,
      }),
    };
  }
  const adoption = eventAdoption(state.fleetRead(), rid, host, event, args.now, deps.coreTimings);
  if (adoption.kind !== 'known') {
    if (adoption.kind === 'refuse' || !applyAdoption(deps, batch, adoption.dispatch, args.now)) {
      return {
        kind: 'refused',
        error: new CpError(
          'CP_ERR_ILLEGAL_TRANSITION',
          `no dispatch recorded for ${host} in ${rid}`,
          { rolloutId: rid, hostname: host },
        ),
      };
    }
  }
  const { result, refs } = applyCore(
    state,
    batch,
    { rolloutId: rid, hostname: host },
    (model) =>
      applyHostEvent(
        model,
        { rolloutId: rid, hostname: host, event, policy: policyOf(deps, rid) },
        args.now,
      ),
    args.now,
  );
  if (!result.ok) {
    if (result.code === 'CORE_ERR_DUPLICATE_SEQ') {
      metrics.eventsIngested.inc({ kind: wire.kind, outcome: 'duplicate' });
      return { kind: 'duplicate' };
    }
    metrics.coreRejections.inc({ code: result.code });
    metrics.eventsIngested.inc({ kind: wire.kind, outcome: 'refused' });
    return { kind: 'refused', error: refusal(result) };
  }
  const moved = applyEffects(deps, batch, result.effects, refs, { now: args.now });
  if (wire.kind === 'ProbeResult')
    keepEvidence(batch, wire, refs.host.get(hostKey(rid, host)), args.now);
  if (wire.kind === 'ProbeResult' && wire.status === 'Fail') {
    const ref = refs.host.get(hostKey(rid, host)) ?? null;
    const failing = (wire.sub_results ?? []).filter((s) => s.status === 'Fail');
    const rows = failing.length > 0 ? failing : [null];
    for (const s of rows) {
      batch.push({
        op: 'insertProbeFailure',
        rolloutId: rid,
        hostname: host,
        probe: wire.probe_name,
        controlId: s?.control_id ?? null,
        framework: s?.framework ?? null,
        article: s?.article ?? null,
        reason: wire.failure_reason,
        observedAt: parseRfc3339(wire.observed_at) ?? args.now,
        eventRef: ref,
      });
    }
  }
  metrics.eventsIngested.inc({ kind: wire.kind, outcome: 'accepted' });
  if (moved) deps.requestTick(`event ${wire.kind}`, rid);
  return { kind: 'accepted' };
}

/** Signed evidence kept with a ProbeResult's event_log row (contract api-rollout-events). */
export interface StoredEvidence {
  /** The payload's JCS text: exactly the bytes the host signed. */
  readonly payloadJcs: string;
  /** Base64 signature as the agent sent it. */
  readonly signature: string | null;
}

/**
 * Keeps the signed evidence of a ProbeResult (payload and signature) in the
 * body of its event_log row, so an auditor can re-verify it from CP storage
 * with `nixfleet verify probe`. The reducer's log entry does not carry it.
 * The payload is stored as its JCS text — the bytes the agent signed
 * (canonicalisation of the parsed payload is deterministic) — not as the
 * JSON the agent happened to send. Without a row of its own (the reducer
 * logged nothing), the evidence gets an `agent` stream row.
 */
function keepEvidence(
  batch: Batch,
  wire: Extract<AgentEvent, { kind: 'ProbeResult' }>,
  ref: number | undefined,
  now: number,
): void {
  const payload = wire.payload ?? null;
  const signature = wire.signature ?? null;
  if (payload === null && signature === null) return;
  const jcs = payload === null ? null : canonicalize(payload);
  // A payload that cannot be canonicalised cannot have been signed as JCS;
  // keep it as sent so the auditor sees what arrived (it will not verify).
  const evidence: StoredEvidence = {
    payloadJcs: jcs === null ? '' : jcs.ok ? jcs.value : JSON.stringify(payload),
    signature,
  };
  const amended =
    ref !== undefined &&
    batch.amendEvent(ref, (body) => ({ ...(body as Record<string, unknown>), evidence }));
  if (!amended) {
    batch.appendEvent({
      recordedAt: now,
      stream: 'agent',
      rolloutId: wire.rollout_id,
      hostname: wire.hostname,
      agentSeq: wire.seq,
      kind: 'ProbeEvidence',
      body: { probe_name: wire.probe_name, evidence },
    });
  }
}
