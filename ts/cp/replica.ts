// The replica role of a CP on PostgreSQL (docs/design/replicas.md): a
// follower terminates mTLS and relays every route but /healthz and
// /metrics to the leader (forward/forwarder.ts), because only the leader's
// memory is the state the routes answer from and decide on; without a
// reachable leader it answers CP_ERR_NOT_LEADER (naming the leader's URL
// when known). The leader serves once it has loaded the state after taking
// the lock and made its first artifact poll and tick. On SQLite there is
// no role: the one process always serves. Must never open the gate before
// the state is loaded under the current epoch, nor answer for the leader.
import { followerHealthy } from '../core/cp-endpoints/forward.ts';
import { CpError } from './errors.ts';
import type { LeaderForwarder } from './forward/forwarder.ts';
import type { Leadership } from './storage/leader.ts';
import type { Route } from './server/types.ts';

/** Routes a follower answers itself. */
const ALWAYS = new Set(['GET /healthz', 'GET /metrics']);

/** Whether this process serves, and who leads. */
export class ReplicaRole {
  private serving: boolean;
  private forwarder: LeaderForwarder | null = null;
  private selfUrl: string | null = null;
  private lastReachedAt: number | null = null;
  private probe: NodeJS.Timeout | null = null;
  private probeMs = 2_000;

  constructor(readonly leadership: Leadership | null) {
    this.serving = leadership === null;
  }

  /**
   * Relays a follower's requests through `forwarder`, and checks every
   * `probeMs` that the leader answers (the follower's health).
   */
  forwardWith(forwarder: LeaderForwarder, selfUrl: string | null, probeMs: number): void {
    this.forwarder = forwarder;
    this.selfUrl = selfUrl;
    this.probeMs = probeMs;
    this.probe = setInterval(() => {
      const url = this.leaderUrl();
      if (url === null || this.leading()) return;
      void forwarder.reachable(url, probeMs).then((ok) => {
        if (ok) this.lastReachedAt = Date.now();
      });
    }, probeMs);
    this.probe.unref();
  }

  /** Stops relaying (the process stops). */
  stopForwarding(): void {
    if (this.probe !== null) clearInterval(this.probe);
    this.probe = null;
    this.forwarder?.close();
  }

  /** The URL of the leader when it is another replica this one knows. */
  private leaderUrl(): string | null {
    const known = this.leadership?.known() ?? null;
    if (known === null || known.url === null) return null;
    if (known.epoch === this.leadership?.epoch() || known.url === this.selfUrl) return null;
    return known.url;
  }

  /** A follower's answer to `ctx`: the leader's, or the refusal. */
  private async relay(
    name: string,
    ctx: Parameters<Route['handle']>[0],
  ): Promise<Awaited<ReturnType<Route['handle']>>> {
    const url = this.leaderUrl();
    if (this.forwarder === null || url === null) throw this.refusal();
    const got = await this.forwarder.forward(url, name, ctx);
    if ('refused' in got) throw this.refusal();
    this.lastReachedAt = Date.now();
    return got.reply;
  }

  /** True once the leader loaded its state (always on SQLite). */
  leading(): boolean {
    return this.serving && (this.leadership === null || this.leadership.epoch() !== null);
  }

  /** Opens the routes (leader, state loaded) or closes them (leadership lost). */
  setServing(on: boolean): void {
    this.serving = on;
    // A leader relays nothing: its connections to the old leader go.
    if (on) this.forwarder?.close();
  }

  /** The refusal a follower answers with. */
  refusal(): CpError {
    const known = this.leadership?.known() ?? null;
    const other = known !== null && known.epoch !== this.leadership?.epoch();
    return new CpError(
      'CP_ERR_NOT_LEADER',
      other && known.url !== null
        ? `this replica does not lead; the leader is ${known.url}`
        : 'this replica does not lead (no leader known yet); retry another CP URL or later',
      { leader: other ? known.url : null, epoch: known?.epoch ?? null },
    );
  }

  /** `routes`, each refusing while this replica does not serve (health and metrics excepted). */
  gate(routes: readonly Route[]): Route[] {
    if (this.leadership === null) return [...routes];
    return routes.map((r) =>
      ALWAYS.has(`${r.method} ${r.path}`)
        ? r
        : {
            ...r,
            handle: (ctx, params) => {
              if (!this.leading()) return this.relay(`${r.method} ${r.path}`, ctx);
              return r.handle(ctx, params);
            },
          },
    );
  }

  /** The `replica` part of /healthz (absent on SQLite). */
  health(): Record<string, unknown> | null {
    if (this.leadership === null) return null;
    const known = this.leadership.known();
    const leading = this.leading();
    return {
      role: leading ? 'leader' : 'follower',
      epoch: this.leadership.epoch(),
      leader_url: known?.url ?? null,
      leader_epoch: known?.epoch ?? null,
      ...(leading ? {} : { leader_reachable: this.followerHealthy() }),
    };
  }

  /** A follower that reached the leader lately (never → false: fail closed). */
  followerHealthy(): boolean {
    return followerHealthy(
      { leaderUrl: this.leaderUrl(), lastReachedAt: this.lastReachedAt },
      Date.now(),
      3 * this.probeMs,
    );
  }
}
