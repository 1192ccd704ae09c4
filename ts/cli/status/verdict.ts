// Whether what `nixfleet status` and `nixfleet watch` showed is healthy: the
// decision behind their exit codes and their closing summary line. Pure (the
// snapshot carries `now`). Fail closed: a host the signed fleet expects and
// the CP never heard from, one gone silent, one failed, a stale artifact or a
// failed rollout is never "healthy", and an empty fleet or a rollout with no
// known targets checked nothing, so it is not a pass either.
import { formatAge } from '../duration.ts';
import { channelFreshness, classifyHosts, isFailureLabel, type ClassifiedHost } from './labels.ts';
import { FAILED_ROLLOUT_STATES, type FleetSnapshot, type RolloutSnapshot } from './snapshot.ts';
import { parseTimestamp } from '../../trust/time.ts';

/** Why a fleet or rollout needs attention, one kind per line of the summary. */
export type AttentionKind =
  | 'no-hosts'
  | 'failed'
  | 'never-seen'
  | 'offline'
  | 'artifact-stale'
  | 'rollout-failed'
  | 'not-converged'
  | 'no-targets';

/** One finding: what kind, and about whom (a host, channel or rollout). */
export interface Attention {
  readonly kind: AttentionKind;
  readonly subject: string;
  readonly detail: string;
}

/** The verdict a command maps to its exit code and prints as its last line. */
export interface Verdict {
  /** True only when something was checked and nothing needs attention. */
  readonly healthy: boolean;
  readonly attention: readonly Attention[];
  /** One line: `✓ …` when healthy, `✗ needs attention: …` otherwise. */
  readonly summary: string;
}

/** Order and wording of the summary's groups. */
const GROUPS: readonly { readonly kind: AttentionKind; readonly words: string }[] = [
  { kind: 'no-hosts', words: 'no hosts' },
  { kind: 'no-targets', words: 'no targeted hosts known' },
  { kind: 'rollout-failed', words: 'rollout failed' },
  { kind: 'failed', words: 'failed' },
  { kind: 'never-seen', words: 'never seen' },
  { kind: 'offline', words: 'offline' },
  { kind: 'artifact-stale', words: 'artifact stale' },
  { kind: 'not-converged', words: 'not converged' },
];

/** Names shown per group before `+N more`. */
const SHOWN = 5;

function attentionSummary(attention: readonly Attention[]): string {
  const parts: string[] = [];
  for (const g of GROUPS) {
    const items = attention.filter((a) => a.kind === g.kind);
    if (items.length === 0) continue;
    const names = items.slice(0, SHOWN).map((a) => a.subject);
    const more = items.length > SHOWN ? `, +${items.length - SHOWN} more` : '';
    parts.push(`${items.length} ${g.words} (${names.join(', ')}${more})`);
  }
  return `✗ needs attention: ${parts.join('; ')}`;
}

function hostAttention(c: ClassifiedHost, now: number): Attention | null {
  const { host, status } = c;
  if (isFailureLabel(status.label)) {
    return { kind: 'failed', subject: host.hostname, detail: status.detail };
  }
  // Liveness is judged apart from the label: a host that was converged and
  // went silent still prints Converged, but nobody knows what it runs now.
  if (host.lastSeenAt === null) {
    return { kind: 'never-seen', subject: host.hostname, detail: 'never seen' };
  }
  if (!host.reachable) {
    const seen = parseTimestamp(host.lastSeenAt);
    const detail = seen === null ? 'offline' : `offline ${formatAge(now - seen)}`;
    return { kind: 'offline', subject: host.hostname, detail };
  }
  return null;
}

/**
 * The verdict on a fleet: healthy when it has hosts, every host of the
 * adopted signed fleet was seen and still heartbeats, none is Failed or
 * quarantined, no channel's artifact is past its freshness window and no
 * channel's active rollout failed or reverted. Hosts in flight, queued or
 * waiting for a reboot are progress, not a problem.
 *
 * @example fleetVerdict(snapshot).healthy // false when a host was never seen
 */
export function fleetVerdict(snapshot: FleetSnapshot): Verdict {
  const hosts = classifyHosts(snapshot);
  const attention: Attention[] = [];
  if (hosts.length === 0) {
    attention.push({ kind: 'no-hosts', subject: snapshot.cpUrl, detail: 'nothing to check' });
  }
  for (const c of hosts) {
    const a = hostAttention(c, snapshot.now);
    if (a !== null) attention.push(a);
  }
  for (const c of snapshot.channels) {
    if (channelFreshness(c, snapshot.now).stale)
      attention.push({ kind: 'artifact-stale', subject: c.name, detail: 'artifact stale' });
  }
  const byId = new Map(snapshot.rollouts.rollouts.map((r) => [r.rolloutId, r]));
  for (const c of snapshot.channels) {
    const r = c.activeRollout === null ? undefined : byId.get(c.activeRollout);
    if (r !== undefined && FAILED_ROLLOUT_STATES.has(r.state)) {
      attention.push({ kind: 'rollout-failed', subject: r.rolloutId, detail: r.state });
    }
  }
  if (attention.length > 0) {
    return { healthy: false, attention, summary: attentionSummary(attention) };
  }
  const n = hosts.length;
  return {
    healthy: true,
    attention,
    summary: `✓ healthy: ${n} host${n === 1 ? '' : 's'} seen and reachable, none failed`,
  };
}

/**
 * The verdict on a rollout: healthy only when it exists, did not fail or
 * revert, and every host it targets (every member of its waves) is
 * Converged in it. A rollout still in progress, or one that ended with hosts
 * skipped (never seen, offline), is not.
 *
 * @example rolloutVerdict(snapshot).summary // '✓ stable@3f2a: 3/3 targeted hosts converged'
 */
export function rolloutVerdict(snapshot: RolloutSnapshot): Verdict {
  const r = snapshot.rollout;
  if (r === null) {
    const subject = snapshot.requested ?? snapshot.cpUrl;
    const attention = [{ kind: 'no-targets' as const, subject, detail: 'no rollout' }];
    return { healthy: false, attention, summary: attentionSummary(attention) };
  }
  const targeted = r.waves.reduce((n, w) => n + w.hosts, 0);
  const converged = r.waves.reduce((n, w) => n + w.converged, 0);
  const attention: Attention[] = [];
  if (FAILED_ROLLOUT_STATES.has(r.state)) {
    attention.push({ kind: 'rollout-failed', subject: r.rolloutId, detail: r.state });
  }
  if (targeted === 0) {
    attention.push({ kind: 'no-targets', subject: r.rolloutId, detail: 'no wave members known' });
  } else if (converged < targeted) {
    const lagging = snapshot.hosts.filter(
      (h) => !(h.rolloutId === r.rolloutId && h.state === 'Converged'),
    );
    for (const h of lagging) {
      const state = h.rolloutId === r.rolloutId && h.state !== null ? h.state : 'never dispatched';
      const why = h.lastSeenAt === null ? 'never seen' : h.reachable ? state : 'offline';
      attention.push({ kind: 'not-converged', subject: `${h.hostname}: ${why}`, detail: why });
    }
    if (lagging.length === 0) {
      attention.push({
        kind: 'not-converged',
        subject: `${targeted - converged} of ${targeted}`,
        detail: 'not converged',
      });
    }
  }
  const counted = `${converged}/${targeted} targeted hosts converged`;
  if (attention.length > 0) {
    return {
      healthy: false,
      attention,
      summary: `${attentionSummary(attention)} — ${r.rolloutId} ${r.state}, ${counted}`,
    };
  }
  return { healthy: true, attention, summary: `✓ ${r.rolloutId} ${r.state}: ${counted}` };
}
