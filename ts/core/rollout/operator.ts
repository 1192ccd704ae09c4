// Operator actions on a rollout (pause, resume, abort, approve, clear): the
// pure decision that turns one request into the rollout events to record, or
// a typed refusal. Owns the role table and the rule that keeps a stolen
// control plane an outage, not a breach: an action only withholds (pause,
// abort) or releases a gate the signed manifest declares operator-resolvable
// (a wave with `approval = "manual"`, clearing when `operatorClear` is set).
// Must never produce an event that dispatches, promotes or widens anything.
import type { ManifestView } from '../inputs.ts';
import type { EpochMs } from '../time.ts';
import type { RolloutBook, RolloutEvent, RolloutRecord, RolloutState } from './types.ts';

/** The actions an operator can take. */
export type OperatorAction = 'pause' | 'resume' | 'abort' | 'approve' | 'clear';

/** Every action (for tables and tests). */
export const OPERATOR_ACTIONS: readonly OperatorAction[] = [
  'pause',
  'resume',
  'abort',
  'approve',
  'clear',
];

/** Roles of the signed fleet's `operators` (fleet.nix). */
export type OperatorRole = 'viewer' | 'operator' | 'admin';

/**
 * Roles allowed to take each action. Pausing, resuming and approving are
 * routine; abort and clear end or restart a rollout, so they are admin-only.
 */
export const ACTION_ROLES: Readonly<Record<OperatorAction, readonly OperatorRole[]>> = {
  pause: ['operator', 'admin'],
  resume: ['operator', 'admin'],
  approve: ['operator', 'admin'],
  abort: ['admin'],
  clear: ['admin'],
};

/**
 * Who a pause the control plane records itself is by. Not a valid operator
 * name (parentheses), so no certificate can claim it.
 */
export const CONTROL_PLANE = '(control-plane)';

/** Why a channel's first rollout on this database opens paused (docs/operators.md). */
export const OPENED_PAUSED_REASON =
  "the control plane's database holds no earlier rollout of this channel, so it cannot prove no operator had paused it (first start, or a rebuilt database); an operator resumes it";

/**
 * Whether a rollout opening on `channel` opens paused: the book holds no
 * rollout of the channel (a first start or a rebuilt database look the same)
 * and the signed fleet declares operators who can resume it. Without
 * operators nobody could, so the rule does not apply.
 */
export function opensPaused(
  book: RolloutBook,
  channel: string,
  operators: Readonly<Record<string, unknown>> | undefined,
): boolean {
  if (operators === undefined || Object.keys(operators).length === 0) return false;
  return !Object.values(book.rollouts).some((r) => r.channel === channel);
}

/** Longest reason accepted, in characters. */
export const MAX_REASON_CHARS = 500;

/** Why an action was refused (the CP maps each to a CP_ERR_* code). */
export type OperatorRefusalCode =
  | 'OPERATORS_UNDECLARED'
  | 'OPERATOR_UNKNOWN'
  | 'ROLE_FORBIDDEN'
  | 'REASON_INVALID'
  | 'UNKNOWN_ROLLOUT'
  | 'WRONG_STATE'
  | 'APPROVAL_NOT_REQUIRED'
  | 'CLEAR_NOT_ALLOWED';

/** One action request, with everything the decision reads. */
export interface OperatorRequest {
  readonly action: OperatorAction;
  /** Operator name from the verified certificate (CN without `operator:`). */
  readonly operator: string;
  /** The signed fleet's operators (fleet.resolved `operators`). */
  readonly operators: Readonly<Record<string, { readonly role: OperatorRole }>>;
  readonly reason: string;
  /** The target rollout's record (undefined: unknown rollout). */
  readonly rollout: RolloutRecord | undefined;
  /** The target rollout's verified manifest (undefined: not loaded). */
  readonly manifest: Pick<ManifestView, 'waves' | 'operatorClear'> | undefined;
  readonly now: EpochMs;
}

/** The decision: events to record (none when already done), or a refusal. */
export type OperatorOutcome =
  | {
      readonly ok: true;
      readonly events: readonly RolloutEvent[];
      /** Set when nothing changes because the action already holds. */
      readonly already: string | null;
    }
  | { readonly ok: false; readonly code: OperatorRefusalCode; readonly message: string };

const ENDED: ReadonlySet<RolloutState> = new Set(['Terminal', 'Superseded', 'Pruned']);
const LIVE: ReadonlySet<RolloutState> = new Set(['Opening', 'Active', 'Converging']);

const refuse = (code: OperatorRefusalCode, message: string): OperatorOutcome => ({
  ok: false,
  code,
  message,
});
const done = (events: readonly RolloutEvent[], already: string | null = null): OperatorOutcome => ({
  ok: true,
  events,
  already,
});

/** Checks a reason: required, bounded, printable (it is shown in every view). */
export function reasonProblem(reason: string): string | null {
  if (reason.trim() === '') return 'a reason is required (--reason "…")';
  if (reason.length > MAX_REASON_CHARS)
    return `the reason is longer than ${MAX_REASON_CHARS} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(reason)) return 'the reason contains control characters';
  return null;
}

/** Whether the signed manifest makes wave `w` wait for an approval it has not had. */
export function awaitsApproval(
  r: RolloutRecord,
  m: Pick<ManifestView, 'waves'>,
  wave: number,
): boolean {
  return m.waves[wave]?.approval === 'manual' && !(r.approvals ?? []).some((a) => a.wave === wave);
}

/** Who may act, from the signed fleet; null when the caller may take `action`. */
function roleRefusal(req: OperatorRequest): OperatorOutcome | null {
  if (Object.keys(req.operators).length === 0) {
    return refuse(
      'OPERATORS_UNDECLARED',
      'the signed fleet declares no operators, so no one may act on rollouts; declare operators.<name>.role in fleet.nix and release',
    );
  }
  const entry = Object.hasOwn(req.operators, req.operator)
    ? req.operators[req.operator]
    : undefined;
  if (entry === undefined) {
    return refuse(
      'OPERATOR_UNKNOWN',
      `operator:${req.operator} is not declared in the signed fleet's operators; add operators.${req.operator}.role to fleet.nix and release`,
    );
  }
  if (!ACTION_ROLES[req.action].includes(entry.role)) {
    return refuse(
      'ROLE_FORBIDDEN',
      `operator:${req.operator} has role ${entry.role}; ${req.action} needs ${ACTION_ROLES[req.action].join(' or ')}`,
    );
  }
  return null;
}

/**
 * Decides one operator action. Pure: the same request gives the same answer.
 * A repeated action that already holds (pause a paused rollout) succeeds with
 * no event and says so in `already`.
 *
 * @example decideOperatorAction({ action: 'pause', operator: 'alice', operators, reason: 'db migration', rollout, manifest, now })
 */
export function decideOperatorAction(req: OperatorRequest): OperatorOutcome {
  const denied = roleRefusal(req);
  if (denied !== null) return denied;
  const problem = reasonProblem(req.reason);
  if (problem !== null) return refuse('REASON_INVALID', problem);
  const r = req.rollout;
  if (r === undefined || req.manifest === undefined) {
    return refuse('UNKNOWN_ROLLOUT', 'the rollout is not known to the control plane');
  }
  const base = { rolloutId: r.rolloutId, operator: req.operator, reason: req.reason, at: req.now };
  const id = r.rolloutId;
  if (r.aborted) {
    if (req.action === 'abort')
      return done([], `${id} was already aborted by operator:${r.aborted.by}`);
    return refuse(
      'WRONG_STATE',
      `${id} was aborted by operator:${r.aborted.by} and is final; release a new version to move the channel on`,
    );
  }
  if (ENDED.has(r.state) && req.action !== 'resume') {
    return refuse(
      'WRONG_STATE',
      `${id} is ${r.state}: it has ended, there is nothing to ${req.action}`,
    );
  }
  switch (req.action) {
    case 'pause':
      if (r.paused) return done([], `${id} is already paused by operator:${r.paused.by}`);
      return done([{ kind: 'OperatorPaused', ...base }]);
    case 'resume':
      if (!r.paused) return done([], `${id} is not paused`);
      return done([{ kind: 'OperatorResumed', ...base }]);
    case 'abort':
      return done([{ kind: 'OperatorAborted', ...base }]);
    case 'approve': {
      const wave = r.currentWave;
      if (req.manifest.waves[wave]?.approval !== 'manual') {
        return refuse(
          'APPROVAL_NOT_REQUIRED',
          `wave ${wave} of ${id} does not ask for approval (its signed policy says approval = "auto")`,
        );
      }
      if (!LIVE.has(r.state)) {
        return refuse(
          'WRONG_STATE',
          `${id} is ${r.state}; only a rolling-out rollout's wave can be approved`,
        );
      }
      if (!awaitsApproval(r, req.manifest, wave))
        return done([], `wave ${wave} of ${id} is already approved`);
      return done([{ kind: 'WaveApproved', ...base, wave }]);
    }
    case 'clear':
      if (req.manifest.operatorClear !== true) {
        return refuse(
          'CLEAR_NOT_ALLOWED',
          `the signed policy of ${id} does not allow an operator to clear it (operatorClear = false); release a new version to move the channel on`,
        );
      }
      if (r.state !== 'Failed' && r.state !== 'Reverted') {
        return refuse(
          'WRONG_STATE',
          `${id} is ${r.state}; only a Failed or Reverted rollout can be cleared`,
        );
      }
      return done([{ kind: 'OperatorClearance', ...base }]);
  }
}
