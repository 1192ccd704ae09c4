// The replica role of a CP on PostgreSQL (docs/design/replicas.md): a
// follower terminates mTLS and answers every route but /healthz and
// /metrics with CP_ERR_NOT_LEADER (naming the leader's URL), because only
// the leader's memory is the state the routes answer from and decide on.
// The leader serves once it has loaded the state after taking the lock
// and made its first artifact poll and tick. On
// SQLite there is no role: the one process always serves. Must never open
// the gate before the state is loaded under the current epoch.
import { CpError } from './errors.ts';
import type { Leadership } from './storage/leader.ts';
import type { Route } from './server/types.ts';

/** Routes a follower answers itself. */
const ALWAYS = new Set(['GET /healthz', 'GET /metrics']);

/** Whether this process serves, and who leads. */
export class ReplicaRole {
  private serving: boolean;

  constructor(readonly leadership: Leadership | null) {
    this.serving = leadership === null;
  }

  /** True once the leader loaded its state (always on SQLite). */
  leading(): boolean {
    return this.serving && (this.leadership === null || this.leadership.epoch() !== null);
  }

  /** Opens the routes (leader, state loaded) or closes them (leadership lost). */
  setServing(on: boolean): void {
    this.serving = on;
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
              if (!this.leading()) return Promise.reject(this.refusal());
              return r.handle(ctx, params);
            },
          },
    );
  }

  /** The `replica` part of /healthz (absent on SQLite). */
  health(): Record<string, unknown> | null {
    if (this.leadership === null) return null;
    const known = this.leadership.known();
    return {
      role: this.leading() ? 'leader' : 'follower',
      epoch: this.leadership.epoch(),
      leader_url: known?.url ?? null,
      leader_epoch: known?.epoch ?? null,
    };
  }
}
