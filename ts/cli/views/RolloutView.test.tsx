import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import {
  ago,
  behind,
  channel,
  closure,
  decision,
  failedRollout,
  host,
  hostsDoc,
  midRollout,
  rollout,
  rolloutSnapshot,
  rolloutsDoc,
  traceDoc,
  wave,
} from '../../../tests/cli/support/fleet-fixtures.ts';
import { progressBar, RolloutView, rolloutHostLines } from './RolloutView.tsx';

function frame(el: React.ReactElement): string {
  const r = render(el);
  const out = r.lastFrame() ?? '';
  r.unmount();
  return out.replace(/[ \t]+$/gm, '');
}

describe('RolloutView screens', () => {
  it('no rollout yet, and an unknown rollout id', () => {
    const empty = rolloutSnapshot({
      hosts: hostsDoc([]),
      channel: null,
      rollouts: rolloutsDoc([]),
      trace: traceDoc([]),
    });
    expect(frame(<RolloutView snapshot={empty} width={100} color={false} />)).toMatchInlineSnapshot(
      `"No rollouts on https://cp.test:8443 yet: one opens when a signed release changes a channel."`,
    );
    const unknown = { ...empty, requested: 'stable@ffff' };
    expect(frame(<RolloutView snapshot={unknown} width={100} color={false} />)).toContain(
      'Rollout stable@ffff is not known to https://cp.test:8443',
    );
  });

  it('a host that converged after its last decision shows no stale dispatch reason', () => {
    const doc = midRollout();
    const stale = decision({
      ts: ago(20),
      decision: 'dispatch',
      code: 'DISPATCHED',
      host: 'canary-1',
      reason: 'all gates passed; dispatching n2n2n2n',
    });
    const snap = rolloutSnapshot({
      ...doc,
      trace: { ...doc.trace, decisions: [...doc.trace.decisions, stale] },
    });
    const line = rolloutHostLines(snap).find((l) => l.hostname === 'canary-1');
    expect(line?.state).toBe('Converged');
    expect(line?.note).not.toContain('dispatching');
  });

  it('a wave without a soak reads soak —, not soak 0h', () => {
    const doc = midRollout();
    const [first] = doc.rollouts.rollouts;
    const waves = (first?.waves ?? []).map((w) => ({ ...w, soakMinutes: 0 }));
    const snap = rolloutSnapshot({
      ...doc,
      rollouts: { ...doc.rollouts, rollouts: [{ ...(first as NonNullable<typeof first>), waves }] },
    });
    const out = frame(<RolloutView snapshot={snap} width={110} color={false} />);
    expect(out).toMatch(/wave 0 .* soak —/);
    expect(out).not.toContain('soak 0h');
  });

  it('mid-rollout: waves, budgets, hosts with time in state, decisions with reasons', () => {
    const snap = rolloutSnapshot(midRollout());
    const out = frame(
      <RolloutView
        snapshot={snap}
        width={110}
        color={false}
        footer="updated 01:30:00Z · every 2s · q to quit"
      />,
    );
    expect(out).toMatchInlineSnapshot(`
      "stable@3f2a9c1d  Active  (stable@3f2a9c1)
      channel stable · policy canary · opened 14m ago · artifact 12m old (window 24h)

      Waves
        wave 0  ████████████████████  1/1 converged  soak 30m
      ▸ wave 1  ███████░░░░░░░░░░░░░  1/3 converged  1 in flight  1 pending  soak 30m

      Budgets in flight
        tags=etcd  1/1 in flight  (saturated)

      Hosts (4)
      HOST      STATE       FOR    CLOSURE          NOTE
      canary-1  Converged   9m     n2n2n2n
      etcd-1    Soaking     3m12s  n2n2n2n          soaking: 26m48s of 30m left
      etcd-2    Queued      —      01d01d0→n2n2n2n  held: budget tags=etcd 1/1 in flight
      web-1     Pending     12s    01d01d0→n2n2n2n  dispatched: wave 1, budget tags=etcd not applicable

      Recent decisions
      TIME      DECISION  HOST    REASON
      01:29:48  dispatch  web-1   dispatched: wave 1, budget tags=etcd not applicable
      01:29:30  hold      etcd-2  held: budget tags=etcd 1/1 in flight
      01:26:48  hold      etcd-1  soaking: 26m48s of 30m left
      01:21:00  promote   wave 1  wave 0 converged (1/1); promoting to wave 1

      updated 01:30:00Z · every 2s · q to quit"
    `);
    expect(out).toMatch(/etcd-2\s+Queued\s+—\s+\S+\s+held: budget tags=etcd 1\/1 in flight/);
    expect(out).toContain('tags=etcd  1/1 in flight  (saturated)');
  });

  it('failure with reasons', () => {
    const snap = rolloutSnapshot(failedRollout());
    const out = frame(<RolloutView snapshot={snap} width={120} color={false} />);
    expect(out).toMatchInlineSnapshot(`
      "stable@3f2a9c1d  Reverted  (stable@3f2a9c1)
      channel stable · policy canary · opened 14m ago · artifact 12m old (window 24h)

      Waves
      ▸ wave 0  ███████░░░░░░░░░░░░░  1/3 converged  1 pending  1 failed  soak 30m

      Budgets in flight
        (no disruption budgets)

      Hosts (3)
      HOST    STATE       FOR    CLOSURE          NOTE
      web-1   Converged   20m    n2n2n2n
      web-2   Reverted    4m     01d01d0→n2n2n2n  ✗ http-health · web-2 reverted to its previous closure; closure quarantined…
      web-3   Queued      —      01d01d0→n2n2n2n  rollout halted: web-2 reverted (probe http-health failing for 60s)

      Recent decisions
      TIME      DECISION  HOST    REASON
      01:29:00  hold      web-3   rollout halted: web-2 reverted (probe http-health failing for 60s)
      01:26:00  halt      web-2   web-2 reverted to its previous closure; closure quarantined on stable"
    `);
    expect(out).toMatch(/web-2\s+Reverted\s+4m/);
    expect(out).toContain('rollout halted: web-2 reverted (probe http-health failing for 60s)');
  });

  it('a rollout held by admission control says so, and why each host waits', () => {
    const parts = midRollout();
    const snap = rolloutSnapshot({
      ...parts,
      trace: traceDoc(
        [
          decision({
            host: 'etcd-2',
            code: 'DISPATCH_PACED',
            gate: 'admission-control',
            reason:
              'cleared by every gate; held by admission control (1 of 6543 queued, released at 150 hosts/s, due in about 1 s)',
            budgets: null,
          }),
        ],
        undefined,
        { heldDispatches: 6543, dispatchRatePerSec: 150 },
      ),
    });
    const out = frame(<RolloutView snapshot={snap} width={140} color={false} />);
    expect(out).toContain(
      'pacing: 6543 dispatches held by admission control, released at 150 hosts/s (fleet-wide)',
    );
    expect(out).toMatch(
      /etcd-2\s+Queued\s+—\s+\S+\s+cleared by every gate; held by admission control \(1 of 6543/,
    );
    expect(
      frame(<RolloutView snapshot={rolloutSnapshot(parts)} width={140} color={false} />),
    ).not.toContain('pacing:');
  });

  it('pending reboot and quarantined closure', () => {
    const hosts = hostsDoc([
      behind('db-1', { pendingReboot: true, state: 'Deferred', stateSince: ago(7) }),
      behind('db-2', { rolloutId: 'stable@0a1b2c3d', quarantinedClosure: closure('n1', 'db-2') }),
      host('db-3'),
    ]);
    const snap = rolloutSnapshot({
      hosts,
      channel: channel({ queuedRollout: 'stable@4b5c6d7e' }),
      rollouts: rolloutsDoc([
        rollout({
          currentWave: 0,
          waves: [wave(0, { hosts: 3, converged: 1, deferred: 1, pending: 1 })],
          budgets: [],
        }),
      ]),
      trace: traceDoc([
        decision({
          host: 'db-2',
          code: 'QUARANTINED',
          gate: 'quarantine',
          reason: 'held: target n1n1n1n quarantined on stable (rolled back 2h ago)',
          budgets: null,
        }),
        decision({
          host: 'db-1',
          code: 'DEFERRED_AWAITING_REBOOT',
          gate: null,
          reason: 'awaiting reboot: kernel changed',
          budgets: null,
        }),
      ]),
    });
    const out = frame(<RolloutView snapshot={snap} width={120} color={false} />);
    expect(out).toMatchInlineSnapshot(`
      "stable@3f2a9c1d  Active  (stable@3f2a9c1)
      channel stable · policy canary · opened 14m ago · artifact 12m old (window 24h) · queued stable@4b5c6d7e

      Waves
      ▸ wave 0  ███████░░░░░░░░░░░░░  1/3 converged  1 pending  1 awaiting reboot  soak 30m

      Budgets in flight
        (no disruption budgets)

      Hosts (3)
      HOST    STATE        FOR    CLOSURE          NOTE
      db-1    Deferred     7m     01d01d0→n1n1n1n  ⟳ pending reboot · awaiting reboot: kernel changed
      db-2    Quarantined  —      01d01d0→n1n1n1n  quarantined n1n1n1n · held: target n1n1n1n quarantined on stable (rolled b…
      db-3    Converged    20m    n1n1n1n

      Recent decisions
      TIME      DECISION  HOST    REASON
      01:29:30  hold      db-2    held: target n1n1n1n quarantined on stable (rolled back 2h ago)
      01:29:30  hold      db-1    awaiting reboot: kernel changed"
    `);
    expect(out).toMatch(
      /db-1\s+Deferred\s+7m\s+.*⟳ pending reboot · awaiting reboot: kernel changed/,
    );
    expect(out).toMatch(/db-2\s+Quarantined/);
    expect(out).toContain('1 awaiting reboot');
    expect(out).toContain('queued stable@4b5c6d7e');
  });

  it('narrow terminal', () => {
    const snap = rolloutSnapshot(midRollout());
    const out = frame(<RolloutView snapshot={snap} width={50} color={false} />);
    expect(out).toMatchInlineSnapshot(`
      "stable@3f2a9c1d  Active  (stable@3f2a9c1)
      channel stable · policy canary · opened 14m ago ·
      artifact 12m old (window 24h)

      Waves
        wave 0  █████  1/1 converged  soak 30m
      ▸ wave 1  ██░░░  1/3 converged  1 in flight  1 pe…

      Budgets in flight
        tags=etcd  1/1 in flight  (saturated)

      Hosts (4)
      HOST     STATE       FOR    CLOSURE   NOTE
      canary…  Converged   9m     n2n2n2n
      etcd-1   Soaking     3m12s  n2n2n2n   soaking: 26…
      etcd-2   Queued      —      01d01d0…  held: budge…
      web-1    Pending     12s    01d01d0…  dispatched:…

      Recent decisions
      TIME      DECISION  HOST    REASON
      01:29:48  dispatch  web-1   dispatched: wave 1, b…
      01:29:30  hold      etcd-2  held: budget tags=etc…
      01:26:48  hold      etcd-1  soaking: 26m48s of 30…
      01:21:00  promote   wave 1  wave 0 converged (1/1…"
    `);
    for (const line of out.split('\n')) expect([...line].length).toBeLessThanOrEqual(50);
  });

  it('error banner keeps the last good frame', () => {
    const snap = rolloutSnapshot(midRollout());
    const out = frame(
      <RolloutView
        snapshot={snap}
        width={100}
        color={false}
        error="CLI_ERR_CP_UNREACHABLE: connect ECONNREFUSED — retrying"
      />,
    );
    expect(out.split('\n')[0]).toBe('✗ CLI_ERR_CP_UNREACHABLE: connect ECONNREFUSED — retrying');
    expect(out).toContain('stable@3f2a9c1d  Active');
  });
});

describe('rollout helpers', () => {
  it('progress bars', () => {
    expect(progressBar(1, 2, 10)).toBe('█████░░░░░');
    expect(progressBar(0, 0, 4)).toBe('░░░░');
    expect(progressBar(3, 3, 4)).toBe('████');
  });

  it('host lines: the latest decision naming the host is its note', () => {
    const lines = rolloutHostLines(rolloutSnapshot(midRollout()));
    expect(lines.map((l) => [l.hostname, l.state, l.note])).toEqual([
      ['canary-1', 'Converged', ''],
      ['etcd-1', 'Soaking', 'soaking: 26m48s of 30m left'],
      ['etcd-2', 'Queued', 'held: budget tags=etcd 1/1 in flight'],
      ['web-1', 'Pending', 'dispatched: wave 1, budget tags=etcd not applicable'],
    ]);
  });
});
