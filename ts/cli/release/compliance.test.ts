import { describe, expect, it } from 'vitest';
import type { FleetResolved } from '../../contracts/index.ts';
import { checkComplianceFailures, observedLines, requireGate } from './compliance.ts';
import { ReleaseError } from './errors.ts';

const resolved = (frameworks: string[], findings?: FleetResolved['complianceFindings']) =>
  ({
    channels: {
      stable: {
        rolloutPolicy: 'all',
        freshnessWindow: 1440,
        signingIntervalMinutes: 60,
        compliance: { frameworks, mode: 'enforce' },
      },
    },
    ...(findings === undefined ? {} : { complianceFindings: findings }),
  }) as unknown as FleetResolved;

describe('release: static compliance gate', () => {
  it('refuses a fleet whose library did not evaluate the gate when a channel enables frameworks', () => {
    expect(() => requireGate(resolved(['nis2-essential']), false, 'fleet.nix')).toThrow(
      /channel\(s\) stable enable compliance frameworks, but the fleet was evaluated by a library without the static compliance gate/,
    );
    expect(() => requireGate(resolved([]), false, 'fleet.nix')).not.toThrow();
    expect(() => requireGate(resolved(['nis2-essential']), true, 'fleet.nix')).not.toThrow();
  });

  it('refuses with RELEASE_ERR_COMPLIANCE, one line per failure', () => {
    const lines: string[] = [];
    let err: unknown;
    try {
      checkComplianceFailures(
        [
          {
            host: 'web-01',
            control: 'firewall-enabled',
            title: "The host's packet filter is on.",
            frameworks: { 'nis2-essential': ['art.21(2)(e)'] },
            evidence: { 'networking.firewall.enable': null },
          },
        ],
        (l) => lines.push(l),
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReleaseError);
    expect((err as ReleaseError).code).toBe('RELEASE_ERR_COMPLIANCE');
    expect(lines).toEqual([
      "REFUSED [compliance] host web-01: control firewall-enabled [nis2-essential art.21(2)(e)]: The host's packet filter is on. Evidence: networking.firewall.enable = unset.",
    ]);
    expect(() => checkComplianceFailures([], () => undefined)).not.toThrow();
  });

  it('prints observe-mode failures the release records', () => {
    const r = resolved(['nis2-essential'], {
      'web-01': {
        passed: ['time-sync'],
        failed: {
          'journal-persistent': {
            mode: 'observe',
            frameworks: { 'nis2-essential': ['art.21(2)(b)'] },
            evidence: { 'services.journald.storage': 'volatile' },
            reason: 'nis2-essential: lab',
          },
        },
        disabled: {},
      },
    });
    expect(observedLines(r)).toEqual([
      'compliance: host web-01: control journal-persistent fails in observe mode (recorded, not refused): nis2-essential: lab. Evidence: services.journald.storage = "volatile".',
    ]);
    expect(observedLines(resolved([]))).toEqual([]);
  });
});
