// Operator action routes: pause, resume, abort, approve and clear a rollout,
// addressed by rollout id or by the channel whose rollout it is. The caller is
// the operator certificate; its role comes from the signed fleet's
// `operators` (the CP holds no role of its own). The core decides
// (ts/core/rollout/operator.ts); this shell feeds it, records the events in
// the event log within one durable commit, and asks for a tick.
import {
  applyRolloutEvent,
  decideOperatorAction,
  ownValue,
  toRfc3339,
  type OperatorMark,
  type OperatorOutcome,
  type OperatorRefusalCode,
  type RolloutRecord,
} from '../../core/index.ts';
import type { ApiRolloutAction } from '../../contracts/index.ts';
import { ROLLOUT_ID_PATTERN } from '../../trust/index.ts';
import { CpError, type CpErrorCode } from '../errors.ts';
import { applyCore } from '../runtime/batch.ts';
import type { CpRuntime } from '../runtime/runtime.ts';
import type { RequestContext, Route } from '../server/types.ts';
import { callerOf } from './access.ts';

const REFUSAL: Readonly<Record<OperatorRefusalCode, CpErrorCode>> = {
  OPERATORS_UNDECLARED: 'CP_ERR_OPERATORS_UNDECLARED',
  OPERATOR_UNKNOWN: 'CP_ERR_OPERATOR_UNKNOWN',
  ROLE_FORBIDDEN: 'CP_ERR_ROLE_FORBIDDEN',
  REASON_INVALID: 'CP_ERR_REASON_INVALID',
  UNKNOWN_ROLLOUT: 'CP_ERR_UNKNOWN_ROLLOUT',
  WRONG_STATE: 'CP_ERR_ACTION_STATE',
  APPROVAL_NOT_REQUIRED: 'CP_ERR_APPROVAL_NOT_REQUIRED',
  CLEAR_NOT_ALLOWED: 'CP_ERR_CLEAR_NOT_ALLOWED',
};

const markView = (m: OperatorMark | null | undefined): Record<string, unknown> | null =>
  m ? { by: m.by, reason: m.reason, at: toRfc3339(m.at) } : null;

/** The operator marks of a rollout, as every view shows them. */
export function operatorMarksView(r: RolloutRecord): Record<string, unknown> {
  return {
    paused: markView(r.paused),
    aborted: markView(r.aborted),
    approvals: (r.approvals ?? []).map((a) => ({ ...markView(a), wave: a.wave })),
  };
}

function operatorName(ctx: RequestContext): string {
  const caller = callerOf(ctx.identity);
  // The access table lets only operator certificates reach these routes.
  if (caller.kind !== 'operator') {
    throw new CpError('CP_ERR_FORBIDDEN', 'only operator certificates may act on rollouts');
  }
  return caller.name;
}

/** Runs one action inside the mutator: decide, record, answer. */
function act(
  rt: CpRuntime,
  target: { readonly rolloutId: string } | { readonly channel: string },
  operator: string,
  body: ApiRolloutAction,
): Promise<Record<string, unknown>> {
  return rt.mutator.submit((batch) => {
    const state = rt.state;
    const fleet = state.artifacts.fleet;
    if (fleet === null) {
      throw new CpError('CP_ERR_NOT_READY', 'signed artifacts are not loaded yet; retry', {
        retryAfterSecs: 5,
      });
    }
    let id: string;
    if ('rolloutId' in target) id = target.rolloutId;
    else {
      if (ownValue(fleet.value.channels, target.channel) === undefined) {
        throw new CpError(
          'CP_ERR_UNKNOWN_CHANNEL',
          `channel ${target.channel.slice(0, 64)} is not in the verified fleet`,
        );
      }
      const holder = ownValue(state.book.activeByChannel, target.channel) ?? null;
      if (holder === null) {
        throw new CpError(
          'CP_ERR_ACTION_STATE',
          `channel ${target.channel} has no rollout to ${body.action}; name a rollout id instead`,
          { channel: target.channel },
        );
      }
      id = holder;
    }
    const now = rt.clock.now();
    const out: OperatorOutcome = decideOperatorAction({
      action: body.action,
      operator,
      operators: fleet.value.operators ?? {},
      reason: body.reason,
      rollout: ownValue(state.book.rollouts, id),
      manifest: state.manifestValues.get(id),
      now,
    });
    if (!out.ok) {
      throw new CpError(REFUSAL[out.code], out.message, { rolloutId: id, action: body.action });
    }
    for (const event of out.events) {
      const { result } = applyCore(
        state,
        batch,
        null,
        (model) => applyRolloutEvent(model, event, now),
        now,
      );
      if (!result.ok) {
        throw new CpError('CP_ERR_ACTION_STATE', `${id}: ${result.message}`, { rolloutId: id });
      }
    }
    if (out.events.length > 0) rt.deps.requestTick(`operator ${body.action}`, id);
    const r = ownValue(state.book.rollouts, id) as RolloutRecord;
    return {
      action: body.action,
      reason: body.reason,
      rolloutId: id,
      outcome: out.already === null ? 'applied' : 'already',
      message: out.already ?? `${id}: ${body.action} recorded`,
      operator,
      state: { rollout: r.state, currentWave: r.currentWave, ...operatorMarksView(r) },
    };
  });
}

/** The action routes. */
export function actionRoutes(rt: CpRuntime): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/rollouts/:id/actions',
      protocol: true,
      contract: 'api-rollout-action',
      async handle(ctx, p) {
        const id = p['id'] as string;
        if (!ROLLOUT_ID_PATTERN.test(id) || id.length > 200) {
          throw new CpError(
            'CP_ERR_INVALID_ROLLOUT_ID',
            'rollout id must match [a-z0-9_-]+@[0-9a-f]+',
          );
        }
        const json = await act(
          rt,
          { rolloutId: id },
          operatorName(ctx),
          ctx.body as ApiRolloutAction,
        );
        return { status: 200, json };
      },
    },
    {
      method: 'POST',
      path: '/v1/channels/:name/actions',
      protocol: true,
      contract: 'api-rollout-action',
      async handle(ctx, p) {
        const name = p['name'] as string;
        if (!/^[a-z0-9_-]{1,64}$/.test(name)) {
          throw new CpError(
            'CP_ERR_UNKNOWN_CHANNEL',
            `channel ${name.slice(0, 64)} is not in the verified fleet`,
          );
        }
        const json = await act(
          rt,
          { channel: name },
          operatorName(ctx),
          ctx.body as ApiRolloutAction,
        );
        return { status: 200, json };
      },
    },
  ];
}
