import { describe, expect, it } from 'vitest';
import { CONTRACT_NAMES, formatIssues, isContractName, validateContract } from './index.ts';

describe('validateContract', () => {
  it('compiles every generated schema', () => {
    for (const name of CONTRACT_NAMES) {
      // Any value: what matters is that compilation succeeds and returns a verdict.
      expect(typeof validateContract(name, {}).ok).toBe('boolean');
    }
  });

  it('names the option path of nested errors like the Nix validator', () => {
    const r = validateContract('heartbeat', {
      hostname: 'web-01',
      agent_version: '0.2.0',
      current_closure: null,
      uptime_secs: -1,
      last_event_seq_by_rollout: { 'stable@abc123': 'x' },
      at: '2026-05-16T01:30:00Z',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = formatIssues(r.errors);
    expect(text).toContain('uptime_secs:');
    expect(text).toContain('last_event_seq_by_rollout.stable@abc123:');
  });

  it('formats array indices with brackets and reports missing options', () => {
    const r = validateContract('revocations', {
      schemaVersion: 1,
      revocations: [{ hostname: 'web-01', reason: null, revokedBy: null }],
      meta: { schemaVersion: 1, signedAt: null, ciCommit: null },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContainEqual({
      path: 'revocations[0].notBefore',
      message: 'required option is missing',
    });
  });

  it('accepts unknown fields on open contracts and refuses them on closed ones', () => {
    const hb = {
      hostname: 'web-01',
      agent_version: '0.2.0',
      current_closure: null,
      uptime_secs: 1,
      last_event_seq_by_rollout: {},
      at: '2026-05-16T01:30:00Z',
      future_field: { anything: true },
    };
    expect(validateContract('heartbeat', hb).ok).toBe(true);
    const fleet = validateContract('fleet-input', { hosts: {}, chanels: {} });
    expect(fleet.ok).toBe(false);
    if (!fleet.ok)
      expect(fleet.errors).toContainEqual({ path: 'chanels', message: 'unknown option' });
  });

  it('knows its contract names', () => {
    expect(isContractName('rollout-manifest')).toBe(true);
    expect(isContractName('../etc/passwd')).toBe(false);
  });
});
