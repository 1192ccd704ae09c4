import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../contracts/index.ts';
import { remoteEventFromWire } from './from-wire.ts';

const probeResult = (extra: Record<string, unknown>): AgentEvent =>
  ({
    kind: 'ProbeResult',
    rollout_id: 'stable@3f2a9c1d',
    hostname: 'web-01',
    seq: 7,
    probe_name: 'nginx-version',
    status: 'Pass',
    observed_at: '2026-05-16T01:27:20Z',
    failure_reason: null,
    mode: 'enforce',
    sub_results: null,
    ...extra,
  }) as AgentEvent;

describe('remoteEventFromWire ProbeResult', () => {
  it('keeps the host-signed payload and signature for the event log', () => {
    const payload = { schemaVersion: 1, hostname: 'web-01', probe: 'nginx-version' };
    const r = remoteEventFromWire(probeResult({ payload, signature: 'c2ln' }));
    expect(r).toMatchObject({
      kind: 'RemoteProbeResult',
      status: 'Pass',
      evidence: { payload, signature: 'c2ln' },
    });
  });

  it('carries no evidence when the agent did not sign', () => {
    const r = remoteEventFromWire(probeResult({ payload: null, signature: null }));
    expect(r?.kind).toBe('RemoteProbeResult');
    expect(r).not.toHaveProperty('evidence');
  });
});
