import { describe, expect, it } from 'vitest';
import {
  ago,
  behind,
  channel,
  closure,
  host,
  hostsDoc,
  NOW_MS,
  RID,
  rollout,
  rolloutsDoc,
  wave,
} from '../../../tests/cli/support/fleet-fixtures.ts';
import type { HostRow } from './labels.ts';
import type { FleetSnapshot, RolloutRow, RolloutSnapshot } from './snapshot.ts';
import { fleetVerdict, rolloutVerdict } from './verdict.ts';

const CP = 'https://cp:8443';

function fleet(
  hosts: readonly HostRow[],
  over: { readonly rollout?: Partial<RolloutRow>; readonly signedAt?: string | null } = {},
): FleetSnapshot {
  return {
    now: NOW_MS,
    cpUrl: CP,
    hosts: hostsDoc([...hosts]),
    channels: [
      channel({
        hosts: hosts.map((h) => h.hostname),
        ...(over.signedAt !== undefined ? { artifactSignedAt: over.signedAt } : {}),
      }),
    ],
    rollouts: rolloutsDoc([rollout(over.rollout ?? {})]),
    failingControls: [],
  };
}

const never = (name: string): HostRow =>
  behind(name, { lastSeenAt: null, reachable: false, rolloutId: null, state: null });

describe('fleetVerdict: what makes `status` exit 1', () => {
  const cases: readonly {
    readonly name: string;
    readonly snapshot: FleetSnapshot;
    readonly healthy: boolean;
    readonly summary: string;
  }[] = [
    {
      name: 'every host converged and heartbeating',
      snapshot: fleet([host('a'), host('b')]),
      healthy: true,
      summary: '✓ healthy: 2 hosts seen and reachable, none failed',
    },
    {
      name: 'hosts in flight, queued or pending a reboot are progress',
      snapshot: fleet([
        behind('a', { state: 'Soaking' }),
        behind('b', { rolloutId: null, state: null }),
        behind('c', { state: 'Deferred', pendingReboot: true }),
      ]),
      healthy: true,
      summary: '✓ healthy: 3 hosts seen and reachable, none failed',
    },
    {
      name: 'every host never seen',
      snapshot: fleet([never('a'), never('b'), never('c')]),
      healthy: false,
      summary: '✗ needs attention: 3 never seen (a, b, c)',
    },
    {
      name: 'one host never seen among converged ones',
      snapshot: fleet([host('a'), never('b')]),
      healthy: false,
      summary: '✗ needs attention: 1 never seen (b)',
    },
    {
      name: 'a converged host gone silent still prints Converged but is offline',
      snapshot: fleet([host('a'), host('b', { reachable: false, lastSeenAt: ago(125) })]),
      healthy: false,
      summary: '✗ needs attention: 1 offline (b)',
    },
    {
      name: 'a failed host',
      snapshot: fleet([host('a'), behind('b', { state: 'Failed' })]),
      healthy: false,
      summary: '✗ needs attention: 1 failed (b)',
    },
    {
      name: 'a quarantined host',
      snapshot: fleet([host('a', { quarantinedClosure: closure('bad', 'a') })]),
      healthy: false,
      summary: '✗ needs attention: 1 failed (a)',
    },
    {
      name: 'the channel artifact past its freshness window',
      snapshot: fleet([host('a')], { signedAt: ago(25 * 60) }),
      healthy: false,
      summary: '✗ needs attention: 1 artifact stale (stable)',
    },
    {
      name: 'no verified artifact at all',
      snapshot: fleet([host('a')], { signedAt: null }),
      healthy: false,
      summary: '✗ needs attention: 1 artifact stale (stable)',
    },
    {
      name: 'the active rollout reverted',
      snapshot: fleet([host('a')], { rollout: { state: 'Reverted' } }),
      healthy: false,
      summary: `✗ needs attention: 1 rollout failed (${RID})`,
    },
    {
      name: 'an empty fleet checked nothing',
      snapshot: fleet([]),
      healthy: false,
      summary: `✗ needs attention: 1 no hosts (${CP})`,
    },
    {
      name: 'several problems, grouped, at most five names each',
      snapshot: fleet([
        behind('f', { state: 'Reverted' }),
        ...['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].map(never),
      ]),
      healthy: false,
      summary: '✗ needs attention: 1 failed (f); 6 never seen (n1, n2, n3, n4, n5, +1 more)',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = fleetVerdict(c.snapshot);
      expect(v.healthy).toBe(c.healthy);
      expect(v.summary).toBe(c.summary);
      expect(v.attention.length === 0).toBe(c.healthy);
    });
  }
});

function watched(hosts: readonly HostRow[], over: Partial<RolloutRow> | null): RolloutSnapshot {
  return {
    now: NOW_MS,
    cpUrl: CP,
    requested: RID,
    rollout: over === null ? null : rollout(over),
    channel: channel(),
    hosts: [...hosts],
    decisions: [],
    pacing: null,
    failingControls: [],
  };
}

describe('rolloutVerdict: `watch` exits 0 only when every targeted host converged', () => {
  const two = [wave(0, { hosts: 2, converged: 2 })];
  const cases: readonly {
    readonly name: string;
    readonly snapshot: RolloutSnapshot;
    readonly healthy: boolean;
    readonly summary: string;
  }[] = [
    {
      name: 'Terminal, every member converged',
      snapshot: watched([host('a'), host('b')], { state: 'Terminal', waves: two }),
      healthy: true,
      summary: `✓ ${RID} Terminal: 2/2 targeted hosts converged`,
    },
    {
      name: 'Terminal with a member that never got the release',
      snapshot: watched([host('a'), never('b')], {
        state: 'Terminal',
        waves: [wave(0, { hosts: 2, converged: 1 })],
      }),
      healthy: false,
      summary: `✗ needs attention: 1 not converged (b: never seen) — ${RID} Terminal, 1/2 targeted hosts converged`,
    },
    {
      name: 'Superseded before an offline member converged',
      snapshot: watched(
        [host('a'), behind('b', { state: 'Pending', reachable: false, lastSeenAt: ago(9) })],
        { state: 'Superseded', waves: [wave(0, { hosts: 2, converged: 1, pending: 1 })] },
      ),
      healthy: false,
      summary: `✗ needs attention: 1 not converged (b: offline) — ${RID} Superseded, 1/2 targeted hosts converged`,
    },
    {
      name: 'still in progress when the view ended',
      snapshot: watched([host('a'), behind('b', { state: 'Soaking' })], {
        state: 'Active',
        waves: [wave(0, { hosts: 2, converged: 1, inFlight: 1 })],
      }),
      healthy: false,
      summary: `✗ needs attention: 1 not converged (b: Soaking) — ${RID} Active, 1/2 targeted hosts converged`,
    },
    {
      name: 'Reverted, even with every count converged',
      snapshot: watched([host('a'), host('b')], { state: 'Reverted', waves: two }),
      healthy: false,
      summary: `✗ needs attention: 1 rollout failed (${RID}) — ${RID} Reverted, 2/2 targeted hosts converged`,
    },
    {
      name: 'no wave members known (manifest gone) checked nothing',
      snapshot: watched([host('a')], { state: 'Terminal', waves: [] }),
      healthy: false,
      summary: `✗ needs attention: 1 no targeted hosts known (${RID}) — ${RID} Terminal, 0/0 targeted hosts converged`,
    },
    {
      name: 'no such rollout',
      snapshot: watched([], null),
      healthy: false,
      summary: `✗ needs attention: 1 no targeted hosts known (${RID})`,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = rolloutVerdict(c.snapshot);
      expect(v.healthy).toBe(c.healthy);
      expect(v.summary).toBe(c.summary);
    });
  }
});
