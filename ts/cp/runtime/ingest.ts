// Mutator commands fed by the agent routes: one agent event (RFC-0005 §4.2),
// one heartbeat (§4.3: liveness, drift detection → replay request, Deferred →
// Soaking synthesis) and the adoption of a host record the CP lost (a wiped
// database) from the agent's own replay. Handlers run inside the mutator and
// return outcomes; they never throw after writing to the batch.
import {
  ownValue,
  applyHostEvent,
  applyPlanAction,
  parseRfc3339,
  remoteEventFromWire,
  type RemoteHostEvent,
  type TransitionError,
} from '../../core/index.ts';
import type { AgentEvent, Heartbeat } from '../../contracts/index.ts';
import { canonicalize, ROLLOUT_ID_PATTERN } from '../../trust/index.ts';
import { CpError } from '../errors.ts';
import { applyCore, hostKey, type Batch } from './batch.ts';
import { policyOf, type RuntimeDeps } from './deps.ts';
import { applyEffects } from './effects.ts';
import { orphanConfirm, orphanTarget } from './orphan-confirm.ts';

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
 * Re-creates the host record of a rollout the CP lost (database wiped) when
 * the agent replays its events: the dispatch is reconstructed from the
 * signed manifest, dated at the first replayed event so the soak window is
 * measured from the agent's own activation. No dispatch is queued: the agent
 * already has it. Returns false when the manifest or rollout cannot host it.
 */
export function adoptHost(
  deps: RuntimeDeps,
  batch: Batch,
  args: {
    readonly rolloutId: string;
    readonly hostname: string;
    readonly at: number;
    readonly now: number;
  },
): boolean {
  const { state } = deps;
  const manifest = state.manifestValues.get(args.rolloutId);
  const rollout = ownValue(state.model.book.rollouts, args.rolloutId);
  const member = manifest?.hostSet.find((h) => h.hostname === args.hostname);
  if (manifest === undefined || rollout === undefined || member === undefined) return false;
  const soakMs = (manifest.waves[member.waveIndex]?.soakMinutes ?? 0) * 60_000;
  const catchUp = rollout.state === 'Terminal' || member.waveIndex !== rollout.currentWave;
  const { result, refs } = applyCore(
    state,
    batch,
    { rolloutId: args.rolloutId, hostname: args.hostname },
    () =>
      applyPlanAction(
        state.model,
        {
          kind: 'QueueDispatch',
          rolloutId: args.rolloutId,
          hostname: args.hostname,
          channel: manifest.channel,
          wave: member.waveIndex,
          targetClosure: member.targetClosure,
          issuedAt: args.at,
          soakDueAt: args.at + soakMs,
          confirmDeadline: args.at + deps.timings.confirmWindowMs,
          catchUp,
        },
        args.now,
        (id) => policyOf(deps, id),
      ),
    args.now,
  );
  if (!result.ok) {
    deps.log.warn(
      { rolloutId: args.rolloutId, host: args.hostname, code: result.code, reason: result.message },
      'could not adopt host record from agent replay',
    );
    return false;
  }
  applyEffects(deps, batch, result.effects, refs, { skipOutbox: true, now: args.now });
  deps.log.info(
    { rolloutId: args.rolloutId, host: args.hostname, wave: member.waveIndex, catchUp },
    'host record adopted from agent replay',
  );
  return true;
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
  if (!known) {
    // Only the first event of a host's rollout (its answer to the dispatch)
    // can re-create a lost record; anything else without a record is refused.
    const first = event.kind === 'RemoteDispatchAck' || event.kind === 'RemoteDispatchReject';
    const at = 'at' in event ? event.at : args.now;
    if (!first || !adoptHost(deps, batch, { rolloutId: rid, hostname: host, at, now: args.now })) {
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
    () =>
      applyHostEvent(
        state.model,
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

/** Outcome of a heartbeat: the replay request for the agent, if any. */
export interface HeartbeatOutcome {
  /** Value of `X-Nixfleet-Replay-From` (`<rolloutId>=<seq>` pairs), or null. */
  readonly replayFrom: string | null;
}

/** Ingests one validated heartbeat. Never advances state except Deferred → Soaking. */
export function ingestHeartbeat(
  deps: RuntimeDeps,
  batch: Batch,
  args: { readonly heartbeat: Heartbeat; readonly now: number },
): HeartbeatOutcome {
  const { state, log } = deps;
  const hb = args.heartbeat;
  const host = hb.hostname;
  const prev = state.liveness.get(host);
  const row = {
    hostname: host,
    lastHeartbeatAt: args.now,
    currentClosure: hb.current_closure,
    agentVersion: hb.agent_version,
    uptimeSecs: Number.isSafeInteger(hb.uptime_secs) ? hb.uptime_secs : null,
  };
  state.liveness.set(host, row);
  batch.push({ op: 'upsertHost', row });
  const wasOffline =
    prev === undefined ||
    state.unreachable.delete(host) ||
    args.now - prev.lastHeartbeatAt > deps.coreTimings.heartbeatIntervalMs * 3;
  if (wasOffline) {
    if (prev !== undefined) log.info({ host }, 'host reachable again');
    deps.requestTick('host online');
  }

  // Deferred → Soaking: the host rebooted into the staged generation.
  for (const rec of state.recordsOf(host)) {
    if (rec.state !== 'Deferred' || hb.current_closure !== rec.targetClosure) continue;
    const at = parseRfc3339(hb.at) ?? args.now;
    const { result, refs } = applyCore(
      state,
      batch,
      { rolloutId: rec.rolloutId, hostname: host },
      () =>
        applyHostEvent(
          state.model,
          {
            rolloutId: rec.rolloutId,
            hostname: host,
            event: {
              kind: 'RemoteActivationComplete',
              seq: null,
              observed: hb.current_closure as string,
              exitCode: 0,
              at,
            },
            policy: policyOf(deps, rec.rolloutId),
          },
          args.now,
        ),
      args.now,
    );
    if (result.ok) {
      applyEffects(deps, batch, result.effects, refs, { now: args.now });
      log.info({ host, rolloutId: rec.rolloutId }, 'deferred activation completed after reboot');
      deps.requestTick('deferred completed');
    }
  }

  // Drift detection: the agent has sent events the CP does not hold. The
  // first time, ask for a replay; if a heartbeat at least REPLAY_GRACE later
  // finds the record still unconfirmed, the replay is not coming:
  // orphan-confirm recovery. Acting sooner would infer an activation time
  // (the heartbeat's) later than the real one while the agent's own events
  // are still on their way.
  const replayGraceMs = Math.max(5_000, deps.coreTimings.heartbeatIntervalMs / 2);
  const replay: string[] = [];
  for (const [rid, agentSeq] of Object.entries(hb.last_event_seq_by_rollout)) {
    if (!ROLLOUT_ID_PATTERN.test(rid) || !Number.isSafeInteger(agentSeq)) continue;
    const rec = state.record(rid, host);
    const key = hostKey(rid, host);
    let cpSeq: number;
    if (rec !== undefined) cpSeq = rec.lastEventSeq;
    else if (
      // A lost record can be re-created only inside an open rollout (adoptHost).
      ownValue(state.model.book.rollouts, rid) !== undefined &&
      state.manifestValues.get(rid)?.hostSet.some((h) => h.hostname === host)
    ) {
      cpSeq = 1;
    } else continue;
    if (agentSeq <= cpSeq || state.orphanConfirmed.has(key)) {
      state.replayAsked.delete(key);
      continue;
    }
    const closure = orphanTarget(deps, rid, host, hb.current_closure);
    const askedAt = state.replayAsked.get(key);
    if (
      askedAt !== undefined &&
      args.now - askedAt >= replayGraceMs &&
      (rec === undefined || rec.state === 'Pending') &&
      closure !== null &&
      orphanConfirm(deps, batch, {
        rolloutId: rid,
        hostname: host,
        closure,
        at: parseRfc3339(hb.at) ?? args.now,
        now: args.now,
      })
    ) {
      state.replayAsked.delete(key);
      state.orphanConfirmed.add(key);
      continue;
    }
    if (askedAt === undefined) state.replayAsked.set(key, args.now);
    replay.push(`${rid}=${cpSeq}`);
  }
  const latest = state.latestRecordOf(host);
  if (
    latest !== undefined &&
    latest.currentClosure !== null &&
    latest.currentClosure !== hb.current_closure
  ) {
    log.debug(
      {
        host,
        rolloutId: latest.rolloutId,
        recorded: latest.currentClosure,
        reported: hb.current_closure,
      },
      'heartbeat closure differs from the recorded one',
    );
  }
  return { replayFrom: replay.length > 0 ? replay.join(', ') : null };
}
