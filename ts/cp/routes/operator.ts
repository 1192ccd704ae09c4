// Read-side routes for agents and operators: rollout manifests (served
// byte-for-byte, or their raw signature), the fleet, channel and rollout
// views, the event stream and trace of a rollout, deferrals and whoami. Every
// view reads the mutator's committed memory or storage; none writes.
import {
  ownValue,
  toRfc3339,
  type HostRolloutState,
  type RolloutRecord,
} from '../../core/index.ts';
import { ROLLOUT_ID_PATTERN, encodeBase64 } from '../../trust/index.ts';
import { CpError } from '../errors.ts';
import type { CommittedView } from '../runtime/committed.ts';
import type { CpRuntime } from '../runtime/runtime.ts';
import type { Route } from '../server/types.ts';
import { callerOf } from './access.ts';
import { callerCn } from './agent.ts';
import { channelView, deferralsView, hostsView, rolloutsView } from './views.ts';

const ts = (ms: number | null): string | null => (ms === null ? null : toRfc3339(ms));

function checkRolloutId(id: string): void {
  if (!ROLLOUT_ID_PATTERN.test(id) || id.length > 200) {
    throw new CpError('CP_ERR_INVALID_ROLLOUT_ID', 'rollout id must match [a-z0-9_-]+@[0-9a-f]+');
  }
}

function rolloutView(r: RolloutRecord): Record<string, unknown> {
  return {
    rolloutId: r.rolloutId,
    channel: r.channel,
    targetRef: r.targetRef,
    state: r.state,
    currentWave: r.currentWave,
    waveCount: r.waveCount,
    counts: r.counts,
    skipped: r.skipped,
    catchUpHosts: r.catchUpHosts,
    haltedBy: r.haltedBy,
    openedAt: ts(r.openedAt),
    lastTransitionAt: ts(r.lastTransitionAt),
    terminalAt: ts(r.terminalAt),
    supersededAt: ts(r.supersededAt),
    supersededBy: r.supersededBy,
  };
}

function recordView(r: HostRolloutState): Record<string, unknown> {
  return {
    hostname: r.hostname,
    rolloutId: r.rolloutId,
    channel: r.channel,
    wave: r.wave,
    state: r.state,
    targetClosure: r.targetClosure,
    currentClosure: r.currentClosure,
    currentClosureAtDispatch: r.currentClosureAtDispatch,
    dispatchedAt: ts(r.dispatchedAt),
    dispatchAckedAt: ts(r.dispatchAckedAt),
    activationCompletedAt: ts(r.activationCompletedAt),
    soakDueAt: ts(r.soakDueAt),
    convergedAt: ts(r.convergedAt),
    failedAt: ts(r.failedAt),
    failureReason: r.failureReason,
    deferredAt: ts(r.deferredAt),
    deferredComponent: r.deferredComponent,
    revertedAt: ts(r.revertedAt),
    revertedTo: r.revertedTo,
    lastEventSeq: r.lastEventSeq,
    probes: r.probes,
    outstandingFailures: r.outstandingFailures,
  };
}

function int(q: URLSearchParams, name: string, def: number, max: number): number {
  const v = q.get(name);
  if (v === null) return def;
  if (!/^\d{1,15}$/.test(v))
    throw new CpError('CP_ERR_BAD_QUERY', `${name} must be a whole number`, { param: name });
  return Math.min(Number(v), max);
}

/** The read-side routes. */
export function operatorRoutes(rt: CpRuntime): Route[] {
  // Read per request: a failed commit replaces the committed view.
  const view = (): CommittedView => rt.state.committed;
  const knownRollout = (id: string): boolean =>
    ownValue(view().book.rollouts, id) !== undefined || view().artifacts.manifests.has(id);
  return [
    {
      method: 'GET',
      path: '/v1/rollouts/:id',
      protocol: true,
      async handle(ctx, p) {
        const id = p['id'] as string;
        checkRolloutId(id);
        const { artifacts } = view();
        const m = artifacts.manifests.get(id);
        if (m === undefined) {
          if (artifacts.fleet === null) {
            throw new CpError('CP_ERR_NOT_READY', 'signed artifacts are not loaded yet; retry', {
              retryAfterSecs: 5,
            });
          }
          throw new CpError('CP_ERR_UNKNOWN_ROLLOUT', `rollout ${id} is not known`, {
            rolloutId: id,
          });
        }
        const caller = callerOf(ctx.identity);
        // An agent reads only the manifests of rollouts its host is part of.
        if (caller.kind === 'agent' && !m.value.hostSet.some((h) => h.hostname === caller.host)) {
          throw new CpError(
            'CP_ERR_FORBIDDEN',
            `host ${caller.host.slice(0, 64)} is not part of rollout ${id}`,
            { route: 'GET /v1/rollouts/:id', caller: 'agent' },
          );
        }
        const accept = String(ctx.headers['accept'] ?? '');
        if (/application\/octet-stream/i.test(accept) && !/application\/json/i.test(accept)) {
          return { status: 200, raw: m.signature, contentType: 'application/octet-stream' };
        }
        return {
          status: 200,
          raw: m.bytes,
          contentType: 'application/json',
          headers: { 'x-nixfleet-signature': encodeBase64(m.signature) },
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/rollouts',
      protocol: true,
      async handle() {
        return { status: 200, json: rolloutsView(view(), rt.clock.now()) };
      },
    },
    {
      method: 'GET',
      path: '/v1/rollouts/:id/events',
      protocol: true,
      async handle(ctx, p) {
        const id = p['id'] as string;
        checkRolloutId(id);
        if (!knownRollout(id))
          throw new CpError('CP_ERR_UNKNOWN_ROLLOUT', `rollout ${id} is not known`);
        const after = int(ctx.query, 'after', 0, Number.MAX_SAFE_INTEGER);
        const limit = int(ctx.query, 'limit', 500, 5_000);
        const rows = await rt.storage.rolloutEvents(id, { afterSeq: after, limit });
        const events = rows.map((r) => ({
          seq: r.seq,
          at: toRfc3339(r.recordedAt),
          payload: r.body,
          recordedAt: toRfc3339(r.recordedAt),
          stream: r.stream,
          hostname: r.hostname,
          agentSeq: r.agentSeq,
          kind: r.kind,
          body: r.body,
          evidence: (r.body as { evidence?: unknown } | null)?.evidence ?? null,
        }));
        return { status: 200, json: { rolloutId: id, events, next: events.at(-1)?.seq ?? after } };
      },
    },
    {
      method: 'GET',
      path: '/v1/rollouts/:id/trace',
      protocol: true,
      async handle(_ctx, p) {
        const id = p['id'] as string;
        checkRolloutId(id);
        if (!knownRollout(id))
          throw new CpError('CP_ERR_UNKNOWN_ROLLOUT', `rollout ${id} is not known`);
        const state = view();
        const record = ownValue(state.book.rollouts, id);
        const hosts = [...(state.hosts.get(id)?.values() ?? [])]
          .sort((a, b) => (a.hostname < b.hostname ? -1 : 1))
          .map(recordView);
        const decisions = state.tick.lastDecisions.filter((d) => d.rollout === id);
        const heldDispatches =
          state.tick.heldDispatches?.actions.filter((a) => a.rolloutId === id).length ?? 0;
        const probeFailures = await rt.storage.probeFailures(id);
        return {
          status: 200,
          json: {
            rolloutId: id,
            rollout: record === undefined ? null : rolloutView(record),
            hosts,
            decisions,
            decisionsAt: ts(state.tick.lastDecisionsAt),
            pacing:
              heldDispatches === 0
                ? null
                : {
                    heldDispatches,
                    dispatchRatePerSec: Math.max(0, Math.round(state.tick.dispatchRate ?? 0)),
                  },
            probeFailures: probeFailures.map((f) => ({
              ...f,
              observedAt: toRfc3339(f.observedAt),
            })),
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/v1/hosts',
      protocol: true,
      async handle() {
        return { status: 200, json: hostsView(view(), rt.clock.now()) };
      },
    },
    {
      method: 'GET',
      path: '/v1/channels/:name',
      protocol: true,
      async handle(_ctx, p) {
        const name = p['name'] as string;
        const channel = /^[a-z0-9_-]+$/.test(name) ? channelView(view(), name) : null;
        if (channel === null) {
          throw new CpError(
            'CP_ERR_UNKNOWN_CHANNEL',
            `channel ${name.slice(0, 64)} is not in the verified fleet`,
          );
        }
        return { status: 200, json: channel };
      },
    },
    {
      method: 'GET',
      path: '/v1/deferrals',
      protocol: true,
      async handle() {
        return { status: 200, json: deferralsView(view()) };
      },
    },
    {
      method: 'GET',
      path: '/v1/whoami',
      protocol: true,
      async handle(ctx) {
        const cn = callerCn(ctx);
        const id = ctx.identity;
        return {
          status: 200,
          json: {
            cn,
            role: callerOf(id).kind === 'operator' ? 'operator' : 'agent',
            serial: id?.serial ?? null,
            notBefore: id ? toRfc3339(id.notBefore) : null,
            notAfter: toRfc3339(id?.notAfter ?? rt.clock.now()),
          },
        };
      },
    },
  ];
}
