// Health and metrics: `/healthz` (no client certificate; liveness plus the
// artifact alerts and the last tick) and `/metrics` (Prometheus text).
import { toRfc3339 } from '../../core/index.ts';
import type { CpRuntime } from '../runtime/runtime.ts';
import type { Route } from '../server/types.ts';
import { packageVersion } from '../../version/version.ts';
import { healthAlerts } from './views.ts';

/** The health routes. */
export function healthRoutes(rt: CpRuntime): Route[] {
  // /healthz reports the package version the logs carry too.
  const version = packageVersion();
  return [
    {
      method: 'GET',
      path: '/healthz',
      protocol: false,
      async handle() {
        const alerts = healthAlerts(rt);
        const alerting = alerts.alerts.length > 0;
        const view = rt.state.committed;
        const { tick } = view;
        const primed = view.artifacts.fleet !== null;
        const replica = rt.replica.health();
        // A follower serves through the leader: healthy while it reaches it.
        const follower = replica !== null && replica['role'] === 'follower';
        const artifacts = rt.poller
          ? Object.fromEntries(
              Object.entries(rt.poller.health).map(([k, h]) => [
                k,
                {
                  ok: h.ok,
                  present: h.present,
                  signedAt: h.signedAt,
                  lastVerifiedAt: h.lastVerifiedAt === null ? null : toRfc3339(h.lastVerifiedAt),
                  lastError:
                    h.lastError === null ? null : { ...h.lastError, at: toRfc3339(h.lastError.at) },
                },
              ]),
            )
          : {};
        return {
          status: 200,
          json: {
            status: follower
              ? rt.replica.followerHealthy()
                ? 'ok'
                : 'starting'
              : alerting
                ? 'degraded'
                : primed
                  ? 'ok'
                  : 'starting',
            version,
            ...alerts,
            last_tick_at: tick.lastTickAt === null ? null : toRfc3339(tick.lastTickAt),
            last_tick_ms: tick.lastTickMs,
            artifacts,
            notifications: rt.outbox?.health() ?? {},
            hosts: view.liveness.size,
            unreachable: view.unreachable.size,
            rollouts: Object.keys(view.book.rollouts).length,
            mutator_queue: rt.mutator.depth(),
            dispatch_waiters: rt.hub.size(),
            uptime_secs: Math.round((rt.clock.now() - rt.startedAt) / 1000),
            ...(replica === null ? {} : { replica }),
          },
        };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      protocol: false,
      async handle() {
        return {
          status: 200,
          raw: rt.metrics.render(),
          contentType: 'text/plain; version=0.0.4; charset=utf-8',
        };
      },
    },
  ];
}
