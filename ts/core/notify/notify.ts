// Which notification an event produces (docs/control-plane.md
// "Notifications"): pure functions from what the control plane records —
// rollout-stream events with the rollout record before and after them, a
// consumed bootstrap token, a bootstrap report, the rollout book at a tick —
// to notification payloads (contracts/notification.nix). The dedupe id is
// derived from the event, never random, so the same event staged twice
// (a tick re-seeing a held wave, a retried command) is one outbox row and
// one delivery id. Must never do I/O or read a clock: `recordedAt`/`now` are
// parameters.
import type { Notification } from '../../contracts/index.ts';
import type { RolloutEvent, RolloutRecord, RolloutBook } from '../rollout/types.ts';
import { toRfc3339, type EpochMs } from '../time.ts';
import { CONTROL_PLANE } from '../rollout/operator.ts';

export type NotificationKind = Notification['kind'];
export type NotificationSeverity = Notification['severity'];

/**
 * Every kind with its severity: a new kind is one row here (and one enum
 * value in contracts/notification.nix), plus the source that emits it.
 */
export const NOTIFICATION_KINDS: Readonly<
  Record<NotificationKind, { readonly severity: NotificationSeverity; readonly source: string }>
> = {
  rollout_opened: { severity: 'info', source: 'rollout event RolloutOpened' },
  wave_promoted: { severity: 'info', source: 'rollout event WaveAdvanced' },
  rollout_held: {
    severity: 'warning',
    source: 'tick: current wave older than --notify-held-after',
  },
  rollout_halted: { severity: 'critical', source: 'rollout record: haltedBy set' },
  rollout_reverted: { severity: 'critical', source: 'rollout record: state becomes Reverted' },
  rollout_converged: { severity: 'info', source: 'rollout event RolloutTerminal' },
  host_failed: { severity: 'critical', source: 'rollout event HostStateChanged to Failed' },
  host_rolled_back: { severity: 'warning', source: 'rollout event HostStateChanged to Reverted' },
  host_enrolled: { severity: 'info', source: 'bootstrap token consumed (first use)' },
  trust_alert: { severity: 'critical', source: 'bootstrap report TrustError' },
  rollout_paused: { severity: 'warning', source: 'rollout event OperatorPaused' },
  rollout_resumed: { severity: 'info', source: 'rollout event OperatorResumed' },
  rollout_aborted: { severity: 'critical', source: 'rollout event OperatorAborted' },
  wave_approved: { severity: 'info', source: 'rollout event WaveApproved' },
  rollout_cleared: { severity: 'info', source: 'rollout event OperatorClearance' },
};

/** Who acted, as status prints it: `operator:alice`, or the control plane itself. */
const actor = (name: string): string =>
  name === CONTROL_PLANE ? 'the control plane' : `operator:${name}`;

/** The kind and verb of each operator action event. */
const OPERATOR_EVENTS = {
  OperatorPaused: ['rollout_paused', 'paused'],
  OperatorResumed: ['rollout_resumed', 'resumed'],
  OperatorAborted: ['rollout_aborted', 'aborted'],
  OperatorClearance: ['rollout_cleared', 'cleared'],
} as const satisfies Record<string, readonly [NotificationKind, string]>;

/** Subject token of a notification without a channel (fleet-wide events). */
export const FLEET_SUBJECT_TOKEN = '_fleet';

function make(
  kind: NotificationKind,
  id: string,
  at: EpochMs,
  fields: {
    readonly channel: string | null;
    readonly rolloutId: string | null;
    readonly hostname: string | null;
    readonly summary: string;
    readonly details: Record<string, unknown>;
  },
): Notification {
  return {
    schemaVersion: 1,
    id,
    kind,
    severity: NOTIFICATION_KINDS[kind].severity,
    channel: fields.channel,
    rolloutId: fields.rolloutId,
    hostname: fields.hostname,
    occurredAt: toRfc3339(at),
    summary: fields.summary,
    details: fields.details,
  };
}

/** The channel of a rollout id (`<channel>@<ref>`). */
function channelOfRollout(rolloutId: string): string {
  const i = rolloutId.indexOf('@');
  return i < 0 ? rolloutId : rolloutId.slice(0, i);
}

/**
 * Notifications of one core application on one rollout: its rollout-stream
 * events, and its record before and after (halted and reverted are record
 * transitions, not events of their own).
 *
 * @example rolloutNotifications({ rolloutId, events, before, after, recordedAt })
 */
export function rolloutNotifications(args: {
  readonly rolloutId: string;
  readonly events: readonly RolloutEvent[];
  readonly before: RolloutRecord | undefined;
  readonly after: RolloutRecord | undefined;
  readonly recordedAt: EpochMs;
}): Notification[] {
  const rid = args.rolloutId;
  const channel = args.after?.channel ?? args.before?.channel ?? channelOfRollout(rid);
  const base = { channel, rolloutId: rid };
  const out: Notification[] = [];
  for (const e of args.events) {
    switch (e.kind) {
      case 'RolloutOpened':
        out.push(
          make('rollout_opened', `rollout_opened:${rid}`, e.at, {
            ...base,
            hostname: null,
            summary: `rollout ${rid} opened (${e.waveCount} wave${e.waveCount === 1 ? '' : 's'})`,
            details: { targetRef: e.targetRef, waveCount: e.waveCount },
          }),
        );
        break;
      case 'WaveAdvanced':
        out.push(
          make('wave_promoted', `wave_promoted:${rid}:${e.toWave}`, e.at, {
            ...base,
            hostname: null,
            summary: `rollout ${rid}: wave ${e.fromWave} -> wave ${e.toWave}`,
            details: { fromWave: e.fromWave, toWave: e.toWave, skipped: [...e.skipped] },
          }),
        );
        break;
      case 'RolloutTerminal':
        out.push(
          make('rollout_converged', `rollout_converged:${rid}`, e.at, {
            ...base,
            hostname: null,
            summary: `rollout ${rid} converged`,
            details: { skippedPending: [...e.skippedPending] },
          }),
        );
        break;
      case 'HostStateChanged':
        if (e.to === 'Failed') {
          out.push(
            make('host_failed', `host_failed:${rid}:${e.hostname}:${e.at}`, e.at, {
              ...base,
              hostname: e.hostname,
              summary: `host ${e.hostname} failed on ${rid}${e.policyApplied ? ` (${e.policyApplied})` : ''}`,
              details: { from: e.from, policy: e.policyApplied, targetClosure: e.targetClosure },
            }),
          );
        } else if (e.to === 'Reverted') {
          out.push(
            make('host_rolled_back', `host_rolled_back:${rid}:${e.hostname}:${e.at}`, e.at, {
              ...base,
              hostname: e.hostname,
              summary: `host ${e.hostname} rolled back from ${rid}`,
              details: { from: e.from, targetClosure: e.targetClosure },
            }),
          );
        }
        break;
      case 'OperatorPaused':
      case 'OperatorResumed':
      case 'OperatorAborted':
      case 'OperatorClearance': {
        const [kind, verb] = OPERATOR_EVENTS[e.kind];
        out.push(
          make(kind, `${kind}:${rid}:${e.at}`, e.at, {
            ...base,
            hostname: null,
            summary: `rollout ${rid} ${verb} by ${actor(e.operator)}: '${e.reason}'`,
            details: { operator: e.operator, reason: e.reason },
          }),
        );
        break;
      }
      case 'WaveApproved':
        out.push(
          make('wave_approved', `wave_approved:${rid}:${e.wave}`, e.at, {
            ...base,
            hostname: null,
            summary: `rollout ${rid}: wave ${e.wave} approved by ${actor(e.operator)}: '${e.reason}'`,
            details: { wave: e.wave, operator: e.operator, reason: e.reason },
          }),
        );
        break;
      default:
        break;
    }
  }
  const after = args.after;
  if (after?.haltedBy != null && args.before?.haltedBy == null) {
    out.push(
      make('rollout_halted', `rollout_halted:${rid}`, after.lastTransitionAt, {
        ...base,
        hostname: after.haltedBy.host,
        summary: `rollout ${rid} halted: host ${after.haltedBy.host} failed (${after.haltedBy.policy})`,
        details: {
          host: after.haltedBy.host,
          policy: after.haltedBy.policy,
          wave: after.currentWave,
        },
      }),
    );
  }
  if (after?.state === 'Reverted' && args.before?.state !== 'Reverted') {
    out.push(
      make('rollout_reverted', `rollout_reverted:${rid}:${args.recordedAt}`, args.recordedAt, {
        ...base,
        hostname: null,
        summary: `rollout ${rid} reverted (${after.counts.Reverted} host${after.counts.Reverted === 1 ? '' : 's'} rolled back)`,
        details: { reverted: after.counts.Reverted, wave: after.currentWave },
      }),
    );
  }
  return out;
}

/** A host consumed its bootstrap token (the agent announces itself). */
export function enrolledNotification(args: {
  readonly hostname: string;
  readonly nonce: string;
  readonly at: EpochMs;
}): Notification {
  return make('host_enrolled', `host_enrolled:${args.hostname}:${args.nonce}`, args.at, {
    channel: null,
    rolloutId: null,
    hostname: args.hostname,
    summary: `host ${args.hostname} enrolled`,
    details: {},
  });
}

/**
 * A bootstrap report: an agent that cannot trust its configuration is a
 * trust alert; an enrollment failure is not (the refusal already answers
 * the agent and shows in /healthz).
 */
export function bootstrapNotification(args: {
  readonly hostname: string;
  readonly event: { readonly kind: string; readonly code: string; readonly message: string };
  readonly at: EpochMs;
}): Notification | null {
  if (args.event.kind !== 'TrustError') return null;
  return make(
    'trust_alert',
    `trust_alert:${args.hostname}:${args.event.code}:${args.at}`,
    args.at,
    {
      channel: null,
      rolloutId: null,
      hostname: args.hostname,
      summary: `trust alert from ${args.hostname}: ${args.event.code}: ${args.event.message}`,
      details: { code: args.event.code, message: args.event.message },
    },
  );
}

/** Rollout states in which a wave can sit unpromoted. */
const LIVE = new Set(['Opening', 'Active', 'Converging']);

/**
 * Rollouts whose current wave started at least `heldAfterMs` ago and is
 * still live: one notification per (rollout, wave), whatever holds it (a
 * gate, a soak, a slow host).
 *
 * @example heldNotifications(book, now, 30 * 60_000)
 */
export function heldNotifications(
  book: RolloutBook,
  now: EpochMs,
  heldAfterMs: number,
): Notification[] {
  const out: Notification[] = [];
  for (const r of Object.values(book.rollouts)) {
    if (!LIVE.has(r.state)) continue;
    const since = r.waveStartedAt ?? r.openedAt;
    if (now - since < heldAfterMs) continue;
    const mins = Math.floor((now - since) / 60_000);
    out.push(
      make('rollout_held', `rollout_held:${r.rolloutId}:${r.currentWave}`, now, {
        channel: r.channel,
        rolloutId: r.rolloutId,
        hostname: null,
        summary: `rollout ${r.rolloutId} held: wave ${r.currentWave} not promoted for ${mins} min`,
        details: {
          wave: r.currentWave,
          state: r.state,
          since: toRfc3339(since),
          heldForMs: now - since,
        },
      }),
    );
  }
  return out;
}

/**
 * The NATS subject of a notification: `<prefix>.<channel>.<kind>`
 * (`_fleet` for no channel).
 *
 * @example natsSubject('nixfleet.events', n) === 'nixfleet.events.stable.host_failed'
 */
export function natsSubject(prefix: string, n: Notification): string {
  return `${prefix}.${n.channel ?? FLEET_SUBJECT_TOKEN}.${n.kind}`;
}

/**
 * A NATS subject prefix a publisher may use: dot-separated tokens of
 * printable characters, no wildcards, no empty token.
 */
export function isSubjectPrefix(text: string): boolean {
  return /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(text) && text.length <= 200;
}

/**
 * Delay before retry number `attempt` (1-based): exponential from `baseMs`,
 * capped at `maxMs`, with equal jitter (between half and all of it;
 * `random01` in [0, 1)) so sinks recovering from an outage are not hit in
 * lockstep.
 *
 * @example backoffMs(3, { baseMs: 1000, maxMs: 300_000 }, 0.5) === 3000
 */
export function backoffMs(
  attempt: number,
  policy: { readonly baseMs: number; readonly maxMs: number },
  random01: number,
): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * Math.min(Math.max(random01, 0), 1));
}

/** The human-readable text of a notification (Matrix `body`). */
export function notificationText(n: Notification): string {
  return `[nixfleet] ${n.severity.toUpperCase()} ${n.summary}`;
}
