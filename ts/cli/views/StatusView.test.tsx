import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import {
  ago,
  behind,
  channel,
  closure,
  failedRollout,
  fleetSnapshot,
  host,
  hostsDoc,
  midRollout,
  rollout,
  rolloutsDoc,
  wave,
} from '../../../tests/cli/support/fleet-fixtures.ts';
import { StatusView } from './StatusView.tsx';

function frame(el: React.ReactElement): string {
  const r = render(el);
  const out = r.lastFrame() ?? '';
  r.unmount();
  return out.replace(/[ \t]+$/gm, '');
}

describe('StatusView screens', () => {
  it('empty fleet', () => {
    const snap = fleetSnapshot({ hosts: hostsDoc([]) });
    expect(frame(<StatusView snapshot={snap} width={100} color={false} />)).toMatchInlineSnapshot(`
      "NixFleet https://cp.test:8443 · 0 hosts
      No hosts: the control plane has no verified fleet.resolved with hosts yet (check \`nixfleet release\`
      and the CP log).

      ✗ needs attention: 1 no hosts (https://cp.test:8443)"
    `);
  });

  it('mid-rollout', () => {
    const s = midRollout();
    const snap = fleetSnapshot({ hosts: s.hosts, channels: [s.channel], rollouts: s.rollouts });
    expect(frame(<StatusView snapshot={snap} width={120} color={false} />)).toMatchInlineSnapshot(`
      "NixFleet https://cp.test:8443 · 4 hosts: 1 converged, 2 in flight, 1 queued

      CHANNEL  ROLLOUT         STATE   WAVE  PROGRESS       ARTIFACT              QUEUED
      stable   stable@3f2a9c1  Active  2/2   2/4 converged  12m old (window 24h)

      HOST      STATUS       DETAIL             CHANNEL  CLOSURE          PROBES  PIN   SEEN
      canary-1  ✓ converged                     stable   n2n2n2n                        30s ago
      etcd-1    ▶ in flight  Soaking 3m12s      stable   n2n2n2n                        30s ago
      etcd-2    · queued     awaiting dispatch  stable   01d01d0→n2n2n2n                30s ago
      web-1     ▶ in flight  Pending 12s        stable   01d01d0→n2n2n2n                30s ago

      ✓ healthy: 4 hosts seen and reachable, none failed"
    `);
  });

  it('failure with reasons', () => {
    const s = failedRollout();
    const snap = fleetSnapshot({ hosts: s.hosts, channels: [s.channel], rollouts: s.rollouts });
    expect(frame(<StatusView snapshot={snap} width={120} color={false} />)).toMatchInlineSnapshot(`
      "NixFleet https://cp.test:8443 · 3 hosts: 1 failed, 1 converged, 1 queued

      CHANNEL  ROLLOUT         STATE     WAVE  PROGRESS                 ARTIFACT              QUEUED
      stable   stable@3f2a9c1  Reverted  1/1   1/3 converged, 1 failed  12m old (window 24h)

      HOST    STATUS       DETAIL             CHANNEL  CLOSURE          PROBES         PIN   SEEN
      web-1   ✓ converged                     stable   n2n2n2n                               30s ago
      web-2   ✗ failed     reverted 4m        stable   01d01d0→n2n2n2n  ✗ http-health        30s ago
      web-3   · queued     awaiting dispatch  stable   01d01d0→n2n2n2n                       30s ago

      ✗ needs attention: 1 rollout failed (stable@3f2a9c1d); 1 failed (web-2)"
    `);
  });

  it('pending reboot, quarantined closure, stale artifact, offline and pinned hosts', () => {
    const hosts = hostsDoc([
      behind('db-1', { pendingReboot: true, state: 'Deferred', stateSince: ago(7) }),
      behind('db-2', {
        quarantinedClosure: closure('q7', 'db-2'),
        state: 'Reverted',
        stateSince: ago(30),
      }),
      behind('db-3', { quarantinedClosure: closure('q7', 'db-3'), state: null, rolloutId: null }),
      behind('edge-1', { channel: 'edge', state: null, rolloutId: null }),
      behind('edge-2', { channel: 'edge', reachable: false, lastSeenAt: ago(190) }),
      host('mon-1', {
        pin: { commit: 'a1b2c3d4e5', reason: 'kernel regression', expiresAt: null },
      }),
    ]);
    const snap = fleetSnapshot({
      hosts,
      channels: [
        channel({ name: 'edge', activeRollout: null, artifactSignedAt: ago(1500) }),
        channel({ activeRollout: 'stable@3f2a9c1d' }),
      ],
      rollouts: rolloutsDoc([
        rollout({
          waves: [wave(0, { hosts: 4, converged: 1, deferred: 1, failed: 1, pending: 1 })],
          currentWave: 0,
        }),
      ]),
    });
    const out = frame(<StatusView snapshot={snap} width={120} color={false} />);
    expect(out).toMatchInlineSnapshot(`
      "NixFleet https://cp.test:8443 · 6 hosts: 1 failed, 1 quarantined, 1 pending reboot, 1 converged, 2 stale

      CHANNEL  ROLLOUT         STATE   WAVE  PROGRESS                 ARTIFACT                       QUEUED
      edge     —               —       —     —                        STALE 25h00m old (window 24h)
      stable   stable@3f2a9c1  Active  1/1   1/4 converged, 1 failed  12m old (window 24h)

      HOST    STATUS            DETAIL                  CHANNEL  CLOSURE          PROBES  PIN        SEEN
      db-1    ⟳ pending reboot  staged 7m               stable   01d01d0→n1n1n1n                     30s ago
      db-2    ✗ failed          reverted 30m            stable   01d01d0→n1n1n1n                     30s ago
      db-3    ✗ quarantined     refuses q7q7q7q         stable   01d01d0→n1n1n1n                     30s ago
      edge-1  ! stale           channel artifact stale  edge     01d01d0→n1n1n1n                     30s ago
      edge-2  ! stale           offline 3h10m           edge     01d01d0→n1n1n1n                     3h10m ago
      mon-1   ✓ converged                               stable   n1n1n1n                  🔒a1b2c3d  30s ago

      ✗ needs attention: 2 failed (db-2, db-3); 1 offline (edge-2); 1 artifact stale (edge)"
    `);
    expect(out).toMatch(/db-1\s+⟳ pending reboot/);
    expect(out).toMatch(/db-3\s+✗ quarantined/);
    expect(out).toMatch(/edge-1\s+! stale\s+channel artifact stale/);
    expect(out).toMatch(/edge-2\s+! stale\s+offline 3h10m/);
    expect(out).toContain('🔒a1b2c3d');
    expect(out).toContain('STALE 25h00m old (window 24h)');
  });

  it('narrow terminal keeps host and label and never exceeds the width', () => {
    const s = failedRollout();
    const snap = fleetSnapshot({ hosts: s.hosts, channels: [s.channel], rollouts: s.rollouts });
    const out = frame(<StatusView snapshot={snap} width={40} color={false} />);
    expect(out).toMatchInlineSnapshot(`
      "NixFleet https://cp.test:8443 · 3 hosts…

      CHANNEL  ROLLOUT    STATE     ARTIFACT
      stable   stable@3…  Reverted  12m old (…

      HOST    STATUS       DETAIL    PROBES
      web-1   ✓ converged
      web-2   ✗ failed     reverte…  ✗ http-h…
      web-3   · queued     awaitin…

      ✗ needs attention: 1 rollout failed
      (stable@3f2a9c1d); 1 failed (web-2)"
    `);
    for (const line of out.split('\n')) expect([...line].length).toBeLessThanOrEqual(40);
    expect(out).toMatch(/web-2\s+✗ failed/);
  });

  it('prints no escape codes with color=false', () => {
    const s = failedRollout();
    const snap = fleetSnapshot({ hosts: s.hosts, channels: [s.channel], rollouts: s.rollouts });
    const plain = frame(<StatusView snapshot={snap} width={120} color={false} />);
    expect(plain.includes('\u001b[')).toBe(false);
  });

  it('names failing compliance controls by id, with framework and article, under the hosts', () => {
    const s = failedRollout();
    const hosts = hostsDoc(
      s.hosts.hosts.map((h) =>
        h.hostname === 'web-2' ? { ...h, failingEnforceProbes: ['compliance-nis2'] } : h,
      ),
    );
    const at = ago(2);
    const probeFailures = ['ssh-no-password', 'audit-logging'].map((controlId, i) => ({
      rolloutId: 'stable@3f2a9c1d',
      hostname: 'web-2',
      probe: 'compliance-nis2',
      controlId,
      framework: 'nis2',
      article: i === 0 ? 'art. 21(2)(j)' : null,
      reason: '2 control(s) failing for nis2',
      observedAt: at,
      eventLogSeq: 7,
    }));
    const snap = fleetSnapshot({
      hosts,
      channels: [s.channel],
      rollouts: s.rollouts,
      trace: { ...s.trace, probeFailures },
    });
    const out = frame(<StatusView snapshot={snap} width={140} color={false} />);
    const lines = out.split('\n');
    const header = lines.findIndex((l) => /^HOST\s+CONTROL\s+FRAMEWORK\s+ARTICLE/.test(l));
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1]).toMatch(/^web-2\s+✗ audit-logging\s+nis2\s+—\s+compliance-nis2/);
    expect(lines[header + 2]).toMatch(/^web-2\s+✗ ssh-no-password\s+nis2\s+art\. 21\(2\)\(j\)/);
    expect(out).toContain('2 control(s) failing for nis2');
  });
});
