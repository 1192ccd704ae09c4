// The status label of a host and the freshness of a channel's signed
// artifact: the classification `nixfleet status` and the watch view print.
// Pure (now is a parameter). The precedence is explicit and locked by tests:
// Failed > Quarantined > PendingReboot > Converged > Stale > InFlight > Queued.
import type { ApiChannel, ApiHosts, ApiRollouts } from '../../contracts/index.ts';
import { parseTimestamp } from '../../trust/time.ts';
import { formatAge, formatMinutes } from '../duration.ts';
import type { FleetSnapshot } from './snapshot.ts';

/** One row of GET /v1/hosts. */
export type HostRow = ApiHosts['hosts'][number];

/** The seven labels, highest precedence first. */
export const STATUS_LABELS = [
  'Failed',
  'Quarantined',
  'PendingReboot',
  'Converged',
  'Stale',
  'InFlight',
  'Queued',
] as const;

/** A host's status label. */
export type StatusLabel = (typeof STATUS_LABELS)[number];

/** The label plus a short reason (`reverted`, `offline 2h04m`, `Soaking`). */
export interface HostStatus {
  readonly label: StatusLabel;
  readonly detail: string;
}

/** How the label prints: symbol and words (design book: `⟳ pending reboot`). */
export const LABEL_TEXT: Readonly<Record<StatusLabel, string>> = {
  Failed: '✗ failed',
  Quarantined: '✗ quarantined',
  PendingReboot: '⟳ pending reboot',
  Converged: '✓ converged',
  Stale: '! stale',
  InFlight: '▶ in flight',
  Queued: '· queued',
};

/** Terminal colour of each label (Ink colour names). */
export const LABEL_COLOR: Readonly<Record<StatusLabel, string>> = {
  Failed: 'red',
  Quarantined: 'red',
  PendingReboot: 'yellow',
  Converged: 'green',
  Stale: 'magenta',
  InFlight: 'cyan',
  Queued: 'gray',
};

/** Freshness of a channel's verified fleet.resolved. */
export interface Freshness {
  /** Age of `artifactSignedAt` at `now` (ms), null when none verified yet. */
  readonly ageMs: number | null;
  readonly windowMinutes: number;
  /** True when there is no verified artifact or it is older than the window. */
  readonly stale: boolean;
}

/**
 * Freshness of a channel at `now`.
 *
 * @example channelFreshness(channel, Date.parse('2026-05-16T01:30:00Z')).stale
 */
export function channelFreshness(channel: ApiChannel, now: number): Freshness {
  const signed =
    channel.artifactSignedAt === null ? null : parseTimestamp(channel.artifactSignedAt);
  const ageMs = signed === null ? null : Math.max(0, now - signed);
  return {
    ageMs,
    windowMinutes: channel.freshnessWindow,
    stale: ageMs === null || ageMs > channel.freshnessWindow * 60_000,
  };
}

/**
 * `12m old (window 24h)` or `STALE 26h00m old (window 24h)`.
 *
 * @example formatFreshness({ ageMs: 720_000, windowMinutes: 1440, stale: false }) // '12m old (window 24h)'
 */
export function formatFreshness(f: Freshness): string {
  if (f.ageMs === null) return 'no verified artifact';
  const text = `${formatAge(f.ageMs)} old (window ${formatMinutes(f.windowMinutes)})`;
  return f.stale ? `STALE ${text}` : text;
}

/** Context of {@link hostStatus}. */
export interface StatusContext {
  readonly now: number;
  /** Whether the host's channel artifact is past its freshness window. */
  readonly channelStale: boolean;
  /** What holds the rollout of the host's channel (paused, aborted, halted, approval), if anything. */
  readonly hold?: RolloutHoldRow | null;
}

/** The hold of one rollout of GET /v1/rollouts. */
export type RolloutHoldRow = NonNullable<ApiRollouts['rollouts'][number]['hold']>;

function byText(by: string | null): string {
  if (by === null) return '';
  return by === '(control-plane)' ? ' by the control plane' : ` by operator:${by}`;
}

/**
 * The hold of a rollout for people: who, how long, why, and the way forward.
 *
 * @example holdText(hold, now) // "paused by operator:alice 4m ago: 'db migration running' — nixfleet rollout resume stable@ab12"
 */
export function holdText(hold: RolloutHoldRow, now: number): string {
  const since = hold.since === null ? null : parseTimestamp(hold.since);
  const age = since === null ? '' : ` ${formatAge(Math.max(0, now - since))} ago`;
  const verb = hold.kind === 'awaiting-approval' ? 'awaiting approval' : hold.kind;
  return `${verb}${byText(hold.by)}${age}: '${hold.reason}' — ${hold.next}`;
}

/**
 * Why a host the rollout has not reached waits, in a few words.
 *
 * @example holdShort(hold) // 'paused by operator:alice'
 */
export function holdShort(hold: RolloutHoldRow): string {
  switch (hold.kind) {
    case 'paused':
      return `paused${byText(hold.by)}`;
    case 'awaiting-approval':
      return 'wave awaits approval';
    case 'aborted':
      return 'aborted: needs a new release';
    case 'halted':
      return hold.next.startsWith('only a new release')
        ? 'halted: needs a new release'
        : 'halted: needs clear or a new release';
  }
}

/**
 * Classifies a host. Rules, first match wins:
 * Failed (state Failed or Reverted) > Quarantined (quarantinedClosure set) >
 * PendingReboot (pendingReboot or state Deferred) > Converged (running the
 * declared closure, not Pending/Activating/Soaking) > Stale (offline, or its channel's artifact is past the
 * freshness window; an offline host's latest refused enrollment is in the
 * detail) > InFlight (Pending, Activating or Soaking) > Queued.
 *
 * @example hostStatus(row, { now, channelStale: false }) // { label: 'InFlight', detail: 'Soaking 3m12s' }
 */
export function hostStatus(host: HostRow, ctx: StatusContext): HostStatus {
  const since = host.stateSince === null ? null : parseTimestamp(host.stateSince);
  const inState = since === null ? '' : ` ${formatAge(ctx.now - since)}`;
  if (host.state === 'Failed') return { label: 'Failed', detail: `failed${inState}` };
  if (host.state === 'Reverted') return { label: 'Failed', detail: `reverted${inState}` };
  if (host.quarantinedClosure !== null) {
    return { label: 'Quarantined', detail: `refuses ${shortClosure(host.quarantinedClosure)}` };
  }
  if (host.pendingReboot || host.state === 'Deferred') {
    return { label: 'PendingReboot', detail: `staged${inState}` };
  }
  // Running the declared closure is not enough: a host still Pending,
  // Activating or Soaking has not passed its soak and probe gate and holds a
  // disruption-budget slot, so it is in flight (RFC-0005: one label per state).
  const settling =
    host.state === 'Pending' || host.state === 'Activating' || host.state === 'Soaking';
  if (!settling && host.declaredClosure !== null && host.currentClosure === host.declaredClosure) {
    return { label: 'Converged', detail: '' };
  }
  if (!host.reachable) {
    const seen = host.lastSeenAt === null ? null : parseTimestamp(host.lastSeenAt);
    const refused = enrollRefusalText(host, ctx.now);
    const offline = seen === null ? null : `offline ${formatAge(ctx.now - seen)}`;
    return {
      label: 'Stale',
      detail:
        refused === null
          ? (offline ?? 'never seen')
          : offline === null
            ? refused
            : `${offline}, ${refused}`,
    };
  }
  if (ctx.channelStale) return { label: 'Stale', detail: 'channel artifact stale' };
  if (host.state === 'Pending' || host.state === 'Activating' || host.state === 'Soaking') {
    return { label: 'InFlight', detail: `${host.state}${inState}` };
  }
  const hold = ctx.hold ?? null;
  return {
    label: 'Queued',
    detail:
      host.declaredClosure === null
        ? 'no declared closure'
        : hold !== null
          ? holdShort(hold)
          : 'awaiting dispatch',
  };
}

/**
 * `enroll refused: CP_ERR_NONCE_NOT_ALLOWED 3m ago` for a host whose latest
 * enrollment the CP refused, or null. Why a host never shows up is usually
 * this: its token or nonce (docs/operators.md, "Refused enrollments").
 *
 * @example enrollRefusalText(host, now) // 'enroll refused: CP_ERR_TOKEN_EXPIRED 12m ago'
 */
export function enrollRefusalText(host: HostRow, now: number): string | null {
  const r = host.enrollRefusal ?? null;
  if (r === null) return null;
  const at = parseTimestamp(r.at);
  return `enroll refused: ${r.code}${at === null ? '' : ` ${formatAge(Math.max(0, now - at))} ago`}`;
}

/**
 * The first 7 characters of a closure's store hash (`0c5p6k9`), or `—`.
 *
 * @example shortClosure('0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01') // '0c5p6k9'
 */
export function shortClosure(closure: string | null): string {
  return closure === null ? '—' : closure.slice(0, 7);
}

/**
 * Current vs declared closure: `0c5p6k9` when equal, `1ab2c3d→0c5p6k9`
 * while the host is behind, `—→0c5p6k9` before the first report.
 *
 * @example closurePair(host) // '1ab2c3d→0c5p6k9'
 */
export function closurePair(host: HostRow): string {
  if (host.currentClosure === host.declaredClosure) return shortClosure(host.currentClosure);
  return `${shortClosure(host.currentClosure)}→${shortClosure(host.declaredClosure)}`;
}

/**
 * The pin marker `🔒<short commit>` (health stays the primary signal), or ''.
 *
 * @example pinMarker(host) // '🔒a1b2c3d'
 */
export function pinMarker(host: HostRow): string {
  return host.pin === null ? '' : `🔒${host.pin.commit.slice(0, 7)}`;
}

/** True for labels that make `status` exit non-zero. */
export function isFailureLabel(label: StatusLabel): boolean {
  return label === 'Failed' || label === 'Quarantined';
}

/** A host with its classification. */
export interface ClassifiedHost {
  readonly host: HostRow;
  readonly status: HostStatus;
}

/**
 * Classifies every host of a snapshot (shared by the table, `status --json`
 * and the exit code, so the printed and the returned labels are the same).
 *
 * @example classifyHosts(snapshot).filter((c) => c.status.label === 'Failed')
 */
export function classifyHosts(snapshot: FleetSnapshot): ClassifiedHost[] {
  const stale = new Map(
    snapshot.channels.map((c) => [c.name, channelFreshness(c, snapshot.now).stale]),
  );
  const byId = new Map(snapshot.rollouts.rollouts.map((r) => [r.rolloutId, r]));
  const holds = new Map(
    snapshot.channels.map((c) => [
      c.name,
      c.activeRollout === null ? null : (byId.get(c.activeRollout)?.hold ?? null),
    ]),
  );
  return snapshot.hosts.hosts.map((host) => ({
    host,
    status: hostStatus(host, {
      now: snapshot.now,
      channelStale: stale.get(host.channel) ?? false,
      hold: holds.get(host.channel) ?? null,
    }),
  }));
}
