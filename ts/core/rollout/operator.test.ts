// Operator actions: the decision table (every role × action, every state ×
// action), and the planner's answer to each mark (pause, abort, approval).
import { describe, expect, it } from 'vitest';
import { ZERO_COUNTS } from './derive.ts';
import {
  ACTION_ROLES,
  OPERATOR_ACTIONS,
  decideOperatorAction,
  type OperatorAction,
  type OperatorOutcome,
  type OperatorRole,
} from './operator.ts';
import { ROLLOUT_STATES, type RolloutRecord, type RolloutState } from './types.ts';

const T0 = Date.UTC(2026, 4, 16, 1, 0, 0);
const OPERATORS = {
  vera: { role: 'viewer' },
  otto: { role: 'operator' },
  ada: { role: 'admin' },
} as const;

function record(state: RolloutState, extra: Partial<RolloutRecord> = {}): RolloutRecord {
  return {
    rolloutId: 'stable@aa01',
    channel: 'stable',
    targetRef: 'aa01',
    state,
    currentWave: 1,
    waveCount: 2,
    counts: ZERO_COUNTS,
    failedHalted: 0,
    acknowledged: 0,
    catchUpHosts: [],
    skipped: [],
    openedAt: T0,
    lastTransitionAt: T0,
    terminalAt: null,
    supersededAt: null,
    supersededBy: null,
    prunedAt: null,
    haltedBy: null,
    ...extra,
  };
}

const MANUAL = {
  waves: [
    { soakMinutes: 0, approval: 'auto' as const },
    { soakMinutes: 0, approval: 'manual' as const },
  ],
  operatorClear: true,
};

function act(
  action: OperatorAction,
  r: RolloutRecord | undefined,
  over: { by?: string; reason?: string; manifest?: typeof MANUAL; operators?: object } = {},
): OperatorOutcome {
  return decideOperatorAction({
    action,
    operator: over.by ?? 'ada',
    operators: (over.operators ?? OPERATORS) as Record<string, { role: OperatorRole }>,
    reason: over.reason ?? 'db migration running',
    rollout: r,
    manifest: over.manifest ?? MANUAL,
    now: T0,
  });
}

const codeOf = (o: OperatorOutcome): string =>
  o.ok ? (o.already === null ? 'ok' : 'already') : o.code;

describe('operator actions: who may act', () => {
  const byRole: Record<OperatorRole, string> = { viewer: 'vera', operator: 'otto', admin: 'ada' };
  for (const role of ['viewer', 'operator', 'admin'] as const) {
    for (const action of OPERATOR_ACTIONS) {
      const allowed = ACTION_ROLES[action].includes(role);
      it(`${role} ${allowed ? 'may' : 'may not'} ${action}`, () => {
        const state = action === 'clear' ? 'Reverted' : 'Active';
        const paused = action === 'resume' ? { by: 'x', reason: 'y', at: T0 } : null;
        const out = act(action, record(state, { paused }), { by: byRole[role] });
        expect(codeOf(out)).toBe(allowed ? 'ok' : 'ROLE_FORBIDDEN');
      });
    }
  }
  it('viewer and operator are refused abort and clear; only admins end or restart a rollout', () => {
    expect(ACTION_ROLES.abort).toEqual(['admin']);
    expect(ACTION_ROLES.clear).toEqual(['admin']);
  });
  it('an operator the signed fleet does not declare is refused', () => {
    expect(codeOf(act('pause', record('Active'), { by: 'mallory' }))).toBe('OPERATOR_UNKNOWN');
  });
  it('a fleet that declares no operators refuses every action (fail closed)', () => {
    for (const action of OPERATOR_ACTIONS) {
      expect(codeOf(act(action, record('Active'), { operators: {} }))).toBe('OPERATORS_UNDECLARED');
    }
  });
  it('does not read inherited keys as operators', () => {
    expect(codeOf(act('pause', record('Active'), { by: 'constructor' }))).toBe('OPERATOR_UNKNOWN');
  });
  it('requires a bounded, printable reason', () => {
    for (const reason of ['', '   ', 'x'.repeat(501), 'line\nbreak']) {
      expect(codeOf(act('pause', record('Active'), { reason }))).toBe('REASON_INVALID');
    }
    expect(codeOf(act('pause', record('Active'), { reason: 'x'.repeat(500) }))).toBe('ok');
  });
  it('refuses an unknown rollout', () => {
    expect(codeOf(act('pause', undefined))).toBe('UNKNOWN_ROLLOUT');
  });
});

/** Expected outcome per state, per action (admin caller, manual current wave). */
const STATE_TABLE: Record<RolloutState, Record<OperatorAction, string>> = {
  Opening: { pause: 'ok', resume: 'already', abort: 'ok', approve: 'ok', clear: 'WRONG_STATE' },
  Active: { pause: 'ok', resume: 'already', abort: 'ok', approve: 'ok', clear: 'WRONG_STATE' },
  Converging: { pause: 'ok', resume: 'already', abort: 'ok', approve: 'ok', clear: 'WRONG_STATE' },
  Failed: { pause: 'ok', resume: 'already', abort: 'ok', approve: 'WRONG_STATE', clear: 'ok' },
  Reverted: { pause: 'ok', resume: 'already', abort: 'ok', approve: 'WRONG_STATE', clear: 'ok' },
  Terminal: {
    pause: 'WRONG_STATE',
    resume: 'already',
    abort: 'WRONG_STATE',
    approve: 'WRONG_STATE',
    clear: 'WRONG_STATE',
  },
  Superseded: {
    pause: 'WRONG_STATE',
    resume: 'already',
    abort: 'WRONG_STATE',
    approve: 'WRONG_STATE',
    clear: 'WRONG_STATE',
  },
  Pruned: {
    pause: 'WRONG_STATE',
    resume: 'already',
    abort: 'WRONG_STATE',
    approve: 'WRONG_STATE',
    clear: 'WRONG_STATE',
  },
};

describe('operator actions: by rollout state', () => {
  for (const state of ROLLOUT_STATES) {
    for (const action of OPERATOR_ACTIONS) {
      it(`${action} on a ${state} rollout → ${STATE_TABLE[state][action]}`, () => {
        expect(codeOf(act(action, record(state)))).toBe(STATE_TABLE[state][action]);
      });
    }
  }
  it('is idempotent: a second pause, abort or approve changes nothing and says so', () => {
    const mark = { by: 'otto', reason: 'r', at: T0 };
    const paused = act('pause', record('Active', { paused: mark }));
    expect(paused).toMatchObject({ ok: true, events: [] });
    if (paused.ok) expect(paused.already).toContain('already paused by operator:otto');
    expect(act('abort', record('Active', { aborted: mark }))).toMatchObject({
      ok: true,
      events: [],
    });
    const approved = record('Active', { approvals: [{ ...mark, wave: 1 }] });
    expect(act('approve', approved)).toMatchObject({ ok: true, events: [] });
  });
  it('an aborted rollout is final: nothing but abort is accepted', () => {
    const aborted = record('Active', { aborted: { by: 'ada', reason: 'r', at: T0 } });
    for (const action of ['pause', 'resume', 'approve', 'clear'] as const) {
      expect(codeOf(act(action, aborted))).toBe('WRONG_STATE');
    }
  });
  it('refuses to approve a wave whose signed policy says approval = "auto"', () => {
    expect(codeOf(act('approve', record('Active', { currentWave: 0 })))).toBe(
      'APPROVAL_NOT_REQUIRED',
    );
  });
  it('refuses to clear when the signed policy does not allow it', () => {
    const manifest = { ...MANUAL, operatorClear: false };
    expect(codeOf(act('clear', record('Reverted'), { manifest }))).toBe('CLEAR_NOT_ALLOWED');
  });
  it('events carry the operator, the reason and the time', () => {
    const out = act('pause', record('Active'), { by: 'otto' });
    expect(out).toEqual({
      ok: true,
      already: null,
      events: [
        {
          kind: 'OperatorPaused',
          rolloutId: 'stable@aa01',
          operator: 'otto',
          reason: 'db migration running',
          at: T0,
        },
      ],
    });
  });
});
