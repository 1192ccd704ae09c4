// Agent routes of RFC-0005: the dispatch long-poll, the event stream and the
// heartbeat. Identity is the client certificate CN and every body naming a
// host must name the caller. Events are acknowledged (204) only after the
// mutator's durable commit.
import type { AgentEvent, Heartbeat } from '../../contracts/index.ts';
import { CpError } from '../errors.ts';
import { ingestHeartbeat } from '../runtime/heartbeat.ts';
import { ingestEvent } from '../runtime/ingest.ts';
import type { CpRuntime } from '../runtime/runtime.ts';
import type { RequestContext, Route } from '../server/types.ts';

/** The CN of the caller (mTLS routes always have one). */
export function callerCn(ctx: RequestContext): string {
  if (ctx.identity === null)
    throw new CpError('CP_ERR_CLIENT_CERT_REQUIRED', 'client certificate required');
  return ctx.identity.cn;
}

/** Refuses a request whose host is not the certificate's CN. */
export function requireSameHost(ctx: RequestContext, hostname: string): void {
  const cn = callerCn(ctx);
  if (cn !== hostname) {
    throw new CpError('CP_ERR_CN_MISMATCH', `certificate is for ${cn}, not ${hostname}`, {
      cn,
      hostname: hostname.slice(0, 64),
    });
  }
}

/** Largest share of a long-poll hold cut at random (desynchronises re-polls). */
const HOLD_JITTER = 0.2;

/** The event-ingest route (its edge latency feeds the dispatch pacer). */
export const EVENTS_PATH = '/v1/agent/events';

/** The agent routes. */
export function agentRoutes(rt: CpRuntime): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/agent/dispatch',
      protocol: true,
      async handle(ctx) {
        const cn = callerCn(ctx);
        const named = ctx.query.get('hostname');
        if (named !== null) requireSameHost(ctx, named);
        let hold = rt.config.timings.longPollMs;
        const wait = ctx.query.get('wait');
        if (wait !== null) {
          const secs = Number(wait);
          if (!/^\d+$/.test(wait) || !Number.isSafeInteger(secs)) {
            throw new CpError('CP_ERR_BAD_QUERY', 'wait must be whole seconds', { param: 'wait' });
          }
          hold = Math.min(hold, secs * 1000);
        }
        // Holds end up to 20 % early, at random: agents re-poll as soon as a
        // hold ends, so without jitter a fleet that connected together (every
        // CP restart) keeps expiring its 204s in one burst each minute —
        // 10,000 at once stalled the event loop for ~100–200 ms per burst.
        hold = Math.round(hold * (1 - HOLD_JITTER * Math.random()));
        const d = await rt.hub.wait(cn, hold, ctx.signal);
        return d === null ? { status: 204 } : { status: 200, json: d };
      },
    },
    {
      method: 'POST',
      path: EVENTS_PATH,
      protocol: true,
      contract: 'agent-event',
      async handle(ctx) {
        const event = ctx.body as AgentEvent;
        requireSameHost(ctx, event.hostname);
        const started = performance.now();
        const outcome = await rt.mutator.submit((b) =>
          ingestEvent(rt.deps, b, { event, now: rt.clock.now() }),
        );
        rt.metrics.eventIngestSeconds.observe((performance.now() - started) / 1000);
        if (outcome.kind === 'refused') throw outcome.error;
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/v1/agent/heartbeat',
      protocol: true,
      contract: 'heartbeat',
      async handle(ctx) {
        const heartbeat = ctx.body as Heartbeat;
        requireSameHost(ctx, heartbeat.hostname);
        const started = performance.now();
        const outcome = await rt.mutator.submit((b) =>
          ingestHeartbeat(rt.deps, b, { heartbeat, now: rt.clock.now() }),
        );
        rt.metrics.heartbeatSeconds.observe((performance.now() - started) / 1000);
        const headers: Record<string, string> = {};
        if (outcome.replayFrom !== null) headers['x-nixfleet-replay-from'] = outcome.replayFrom;
        return {
          status: 200,
          headers,
          json: {
            replayFrom: outcome.replayFrom,
            abortedRollouts: outcome.abortedRollouts,
            nextHeartbeatSecs: Math.round(rt.config.timings.heartbeatIntervalMs / 1000),
          },
        };
      },
    },
  ];
}
