// Reading the CP's rollout event log as the harness judges it: which agent
// event a row records, which rollout and host it names, and the wave-order
// invariant computed from the log and the signed manifest. Pure functions of
// the rows; the polling that fetches them is observe.ts.
import type { ApiRolloutEvents, RolloutManifest } from '../contracts/index.ts';

/** Milliseconds of an RFC 3339 timestamp. */
const ms = (t: string): number => Date.parse(t);

type LogEvent = ApiRolloutEvents['events'][number];

/**
 * The agent event kind of a CP event-log row: the CP records agent events as
 * `Remote<Kind>` with a body `{ rolloutId, hostname, event: { kind, … } }`.
 */
export function agentKind(e: LogEvent): string {
  return e.kind.replace(/^Remote/, '');
}

/** Whether `text` names `host` as a whole word (not as a prefix of another name). */
export function namesHost(text: string, host: string): boolean {
  const esc = host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^a-z0-9._-])${esc}($|[^a-z0-9_-])`).test(text);
}

/** The rollout a CP event-log row belongs to. */
export function rolloutOf(e: LogEvent): string | null {
  const p = e.payload as { rolloutId?: string; rollout_id?: string } | null;
  return p?.rolloutId ?? p?.rollout_id ?? null;
}

/** The agent event inside a CP event-log row. */
export function eventBody(e: LogEvent): Record<string, unknown> {
  const p = e.payload as { event?: Record<string, unknown> } | null;
  return p?.event ?? (e.payload as Record<string, unknown> | null) ?? {};
}

/**
 * Invariant: no host of wave N+1 acknowledged a dispatch before every host of
 * wave N that converged had converged. Computed from the CP's event log and
 * the signed manifest's wave layout. Hosts the planner dispatched as catch-up
 * (offline when their wave was promoted, so skipped by design, and sent the
 * target when they came back; rollout event HostJoined with `catchUp`) are
 * outside the wave order and not counted.
 */
export function checkWavesInOrder(
  events: ApiRolloutEvents['events'],
  manifest: RolloutManifest,
  rolloutId: string,
): string[] {
  const catchUp = new Set<string>();
  for (const e of events) {
    if (e.kind !== 'HostJoined') continue;
    const b = eventBody(e) as { rolloutId?: unknown; hostname?: unknown; catchUp?: unknown };
    if (b.rolloutId === rolloutId && b.catchUp === true && typeof b.hostname === 'string')
      catchUp.add(b.hostname);
  }
  const waveOf = new Map(
    manifest.hostSet.filter((h) => !catchUp.has(h.hostname)).map((h) => [h.hostname, h.waveIndex]),
  );
  const mine = events.filter((e) => rolloutOf(e) === rolloutId);
  const acks = new Map<number, number>();
  const converged = new Map<number, number>();
  for (const e of mine) {
    const w = e.hostname ? waveOf.get(e.hostname) : undefined;
    if (w === undefined) continue;
    const kind = agentKind(e);
    if (kind === 'DispatchAck') acks.set(w, Math.min(acks.get(w) ?? Infinity, ms(e.at)));
    if (kind === 'Converged') {
      // A Converged replayed after the CP lost its database is recorded at
      // replay time; the agent's own time of convergence is the earlier, true
      // one. (Acks keep the CP's time: a late record can only hide, never
      // invent, a violation.)
      const agentAt = eventBody(e)['at'];
      const t = typeof agentAt === 'number' ? Math.min(ms(e.at), agentAt) : ms(e.at);
      converged.set(w, Math.max(converged.get(w) ?? 0, t));
    }
  }
  const violations: string[] = [];
  // An invariant that finds nothing to check must not pass silently.
  if (converged.size > 0 && acks.size === 0) {
    violations.push(
      `rollout ${rolloutId}: hosts converged but no DispatchAck was found in the event log — cannot check wave order`,
    );
  }
  for (const [w, firstAck] of acks) {
    if (w === 0) continue;
    const prev = converged.get(w - 1);
    if (prev === undefined || firstAck < prev) {
      violations.push(
        `wave ${w} acked a dispatch at ${new Date(firstAck).toISOString()} before wave ${w - 1} converged (${prev === undefined ? 'never' : new Date(prev).toISOString()})`,
      );
    }
  }
  return violations;
}

/** Hosts of `hosts` whose events show they were dispatched at all in `rolloutId`. */
export function dispatchedHosts(events: ApiRolloutEvents['events'], rolloutId: string): string[] {
  return [
    ...new Set(
      events
        .filter((e) => agentKind(e) === 'DispatchAck' && rolloutOf(e) === rolloutId)
        .map((e) => e.hostname ?? ''),
    ),
  ];
}

/**
 * Invariant noQuarantinedDispatch: a rollout that reverted dispatched no
 * host of a wave after the earliest wave a rollback came from (the canary's
 * wave: wave 0, or a later one when earlier waves hold other tiers, as the
 * comms fleet's infra wave). Nothing to say about a rollout that did not
 * revert.
 */
export function checkNoQuarantinedDispatch(
  events: ApiRolloutEvents['events'],
  manifest: Pick<RolloutManifest, 'hostSet'>,
  rolloutId: string,
): string[] {
  const waveOf = new Map(manifest.hostSet.map((h) => [h.hostname, h.waveIndex]));
  const rolledBack = [
    ...new Set(
      events
        .filter((e) => agentKind(e) === 'RollbackComplete' && rolloutOf(e) === rolloutId)
        .map((e) => e.hostname ?? ''),
    ),
  ];
  if (rolledBack.length === 0) return [];
  const outside = rolledBack.filter((h) => !waveOf.has(h));
  if (outside.length > 0)
    return [`rollout ${rolloutId}: ${outside.join(', ')} rolled back but not in its host set`];
  const first = rolledBack.reduce((a, b) => (waveOf.get(b)! < waveOf.get(a)! ? b : a));
  const wave = waveOf.get(first)!;
  const later = new Set(manifest.hostSet.filter((h) => h.waveIndex > wave).map((h) => h.hostname));
  const leaked = dispatchedHosts(events, rolloutId).filter((h) => later.has(h));
  return leaked.length > 0
    ? [
        `rollout ${rolloutId} reverted in wave ${wave} (${first}) but dispatched later-wave hosts: ${leaked.join(', ')}`,
      ]
    : [];
}
