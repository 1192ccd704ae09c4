// Corpus of the agent wire: events, dispatches, heartbeats, enrollment and renewal.
import { CLOSURE, CLOSURE2, corpus, ev, RID, TS, type Corpus, type Json } from './kit.ts';

/** The largest integer a contract accepts (exact as an IEEE double). */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** A host failed by an operator's abort rather than by its health gate. */
const abortFailed = corpus(
  'agent-event',
  [
    [
      'Failed after an operator abort (Converged host, no failing probe)',
      ev('Failed', {
        failed_at: TS,
        sustained_duration_secs: 0,
        failing_probes: [],
        policy_applied: 'rollback-and-halt',
        cause: 'operator-abort',
      }),
    ],
  ],
  [
    ['unknown Failed cause', ['cause'], 'operator'],
    ['wrong type: Failed cause', ['cause'], true],
  ],
);

/** `base` with the documents of `more` (same contract, another base document). */
function withMore(base: Corpus, more: Corpus): Corpus {
  return {
    ...base,
    valid: [...base.valid, ...more.valid],
    invalid: [...base.invalid, ...more.invalid],
  };
}

export const wire: Corpus[] = [
  withMore(
    corpus(
      'agent-event',
      [
        [
          'DispatchAck',
          ev('DispatchAck', { received_at: TS, current_closure_at_dispatch: CLOSURE2 }),
        ],
        [
          'ProbeTopologyDeclared',
          ev('ProbeTopologyDeclared', {
            declared_at: TS,
            probes: [{ name: 'nginx', kind: 'http', mode: 'enforce' }],
          }),
        ],
        [
          'ProbeResult with sub_results',
          ev('ProbeResult', {
            probe_name: 'evidence-nis2',
            status: 'Fail',
            observed_at: TS,
            failure_reason: 'controls failed',
            mode: 'enforce',
            sub_results: [
              {
                control_id: 'nis2.art21.a',
                status: 'Fail',
                framework: 'nis2-essential',
                article: null,
              },
            ],
          }),
        ],
        [
          'ProbeResult with signature and signed payload',
          ev('ProbeResult', {
            probe_name: 'nginx',
            status: 'Pass',
            observed_at: TS,
            failure_reason: null,
            mode: 'enforce',
            sub_results: null,
            signature: `${'A'.repeat(86)}==`,
            payload: {
              schemaVersion: 1,
              hostname: 'web-01',
              probe: 'nginx',
              kind: 'http',
              mode: 'enforce',
              status: 'Pass',
              ts: TS,
              bootId: '0f4c7c1e-7d0a-4a53-9b1b-5e2d8c3f6a10',
              generationHash: CLOSURE,
              rolloutId: RID,
              schema: null,
              controls: [],
              output: { httpStatus: 200, failureReason: null },
            },
          }),
        ],
        [
          'Failed',
          ev('Failed', {
            failed_at: TS,
            sustained_duration_secs: 60,
            failing_probes: ['nginx'],
            policy_applied: 'rollback-and-halt',
          }),
        ],
        [
          'Converged with unknown extra field',
          ev('Converged', { converged_at: TS, current_closure: CLOSURE, extra: true }),
        ],
        [
          'ClosureQuarantined',
          ev('ClosureQuarantined', {
            closure: CLOSURE,
            quarantined_at: TS,
            failure_count: 2,
            last_failure_at: TS,
          }),
        ],
        [
          'largest seq: 2^53-1',
          {
            ...(ev('DispatchAck', { received_at: TS, current_closure_at_dispatch: null }) as Record<
              string,
              Json
            >),
            seq: MAX_SAFE,
          },
        ],
        [
          'most negative exit code: -(2^53-1)',
          ev('ActivationFailed', { failed_at: TS, switch_exit_code: -MAX_SAFE, stderr_tail: '' }),
        ],
      ],
      [
        ['wrong type: seq string', ['seq'], '3'],
        ['missing required: received_at', ['received_at'], undefined],
        ['unknown event kind', ['kind'], 'Rollback', ['kind']],
        ['bad timestamp', ['received_at'], '1715822820'],
        ['bad rollout id', ['rollout_id'], 'stable'],
        ['seq zero', ['seq'], 0],
        ['seq 2^53, not exact as a double', ['seq'], MAX_SAFE + 1],
        ['seq 2^63', ['seq'], 2 ** 63],
        ['seq 1e300', ['seq'], 1e300],
        ['seq 2^53-1 plus a fraction', ['seq'], 4503599627370495.5],
        ['nested: closure not a store basename', ['current_closure_at_dispatch'], '/nix/store/abc'],
      ],
    ),
    abortFailed,
  ),
  corpus(
    'dispatch',
    [
      [
        'dispatch',
        {
          kind: 'Dispatch',
          rollout_id: RID,
          target_closure: CLOSURE,
          channel: 'stable',
          wave: 0,
          soak_due_at: TS,
          confirm_deadline: TS,
          issued_at: TS,
          seq: 1,
        },
      ],
    ],
    [
      ['wrong type: wave string', ['wave'], '0'],
      ['missing required: target_closure', ['target_closure'], undefined],
      ['unknown enum: kind', ['kind'], 'Rollback'],
      ['bad timestamp: issued_at', ['issued_at'], '2026-05-16T01:27:00.Z'],
      ['bad pattern: channel uppercase', ['channel'], 'Stable'],
      ['negative wave', ['wave'], -1],
      ['seq above 2^53-1', ['seq'], MAX_SAFE + 1],
    ],
  ),
  corpus(
    'heartbeat-reply',
    [
      [
        'reply listing an aborted rollout',
        { replayFrom: null, nextHeartbeatSecs: 30, abortedRollouts: [RID] },
      ],
      [
        'reply with a replay ask, nothing aborted',
        { replayFrom: RID, nextHeartbeatSecs: 30, abortedRollouts: [] },
      ],
      [
        'reply without abortedRollouts (older control plane)',
        { replayFrom: null, nextHeartbeatSecs: 30 },
      ],
    ],
    [
      ['bad rollout id in abortedRollouts', ['abortedRollouts', 0], 'stable'],
      ['wrong type: abortedRollouts a string', ['abortedRollouts'], RID],
      ['missing required: nextHeartbeatSecs', ['nextHeartbeatSecs'], undefined],
      ['negative nextHeartbeatSecs', ['nextHeartbeatSecs'], -1],
      ['wrong type: replayFrom a number', ['replayFrom'], 3],
    ],
  ),
  corpus(
    'heartbeat',
    [
      [
        'heartbeat',
        {
          hostname: 'web-01',
          agent_version: '0.2.0',
          current_closure: CLOSURE,
          uptime_secs: 3600,
          last_event_seq_by_rollout: { [RID]: 14 },
          at: TS,
        },
      ],
      [
        'first boot, nothing sent yet',
        {
          hostname: 'web-01',
          agent_version: '0.2.0',
          current_closure: null,
          uptime_secs: 0,
          last_event_seq_by_rollout: {},
          at: '2026-05-16T01:27:00.123Z',
        },
      ],
    ],
    [
      ['wrong type: uptime string', ['uptime_secs'], '3600'],
      ['missing required: at', ['at'], undefined],
      ['bad timestamp: at', ['at'], '2026-02-30'],
      ['bad pattern: hostname', ['hostname'], '-web'],
      ['nested: seq negative', ['last_event_seq_by_rollout', RID], -1],
      ['nested: seq above 2^53-1', ['last_event_seq_by_rollout', RID], MAX_SAFE + 1],
      ['uptime 1e300', ['uptime_secs'], 1e300],
      ['wrong type: seq map is a list', ['last_event_seq_by_rollout'], [14]],
    ],
  ),
  corpus(
    'enroll-request',
    [
      [
        'enroll',
        {
          token: { version: 1 },
          csrPem: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n',
        },
      ],
    ],
    [
      ['wrong type: token string', ['token'], 'abc'],
      ['missing required: csrPem', ['csrPem'], undefined],
      ['wrong type: csrPem number', ['csrPem'], 1],
      ['missing required: token', ['token'], undefined],
      ['wrong type: token list', ['token'], []],
    ],
  ),
  corpus(
    'renew-request',
    [
      [
        'renew',
        {
          csrPem: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n',
        },
      ],
    ],
    [
      ['missing required: csrPem', ['csrPem'], undefined],
      ['wrong type: csrPem null', ['csrPem'], null],
      ['wrong type: csrPem list', ['csrPem'], ['a']],
      ['wrong type: csrPem object', ['csrPem'], { pem: 'x' }],
      ['wrong type: csrPem bool', ['csrPem'], true],
    ],
  ),
  corpus(
    'certificate-response',
    [
      [
        'certificate',
        { certPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', notAfter: TS },
      ],
    ],
    [
      ['wrong type: certPem number', ['certPem'], 3],
      ['missing required: notAfter', ['notAfter'], undefined],
      ['bad timestamp: notAfter', ['notAfter'], 'never'],
      ['missing required: certPem', ['certPem'], undefined],
      ['bad timestamp: lowercase t', ['notAfter'], '2026-05-16t01:27:00Z'],
    ],
  ),
  corpus(
    'bootstrap-report',
    [
      [
        'trust error',
        {
          token: { version: 1 },
          agentVersion: '0.2.0',
          occurredAt: TS,
          event: {
            kind: 'TrustError',
            code: 'AGENT_ERR_TRUST_FILE',
            message: 'unknown schemaVersion',
          },
        },
      ],
    ],
    [
      ['wrong type: agentVersion number', ['agentVersion'], 2],
      ['missing required: event', ['event'], undefined],
      ['unknown enum: event kind', ['event', 'kind'], 'Crashed'],
      ['bad timestamp: occurredAt', ['occurredAt'], '2026-05-16T01:27:00'],
      ['nested: event code missing', ['event', 'code'], undefined],
    ],
  ),
  corpus(
    'notification',
    [
      [
        'host failed',
        {
          schemaVersion: 1,
          id: `host_failed:${RID}:agent-01:1779000000000`,
          kind: 'host_failed',
          severity: 'critical',
          channel: 'stable',
          rolloutId: RID,
          hostname: 'agent-01',
          occurredAt: TS,
          summary: `host agent-01 failed on ${RID} (rollback-and-halt)`,
          details: { policy: 'rollback-and-halt' },
        },
      ],
      [
        'fleet-wide enrollment',
        {
          schemaVersion: 1,
          id: 'host_enrolled:agent-17:0123456789abcdef0123456789abcdef',
          kind: 'host_enrolled',
          severity: 'info',
          channel: null,
          rolloutId: null,
          hostname: 'agent-17',
          occurredAt: TS,
          summary: 'host agent-17 enrolled',
          details: {},
        },
      ],
    ],
    [
      ['unknown enum: kind', ['kind'], 'rollout_suspended'],
      ['bad id: space', ['id'], 'a b'],
      ['wrong schemaVersion', ['schemaVersion'], 2],
      ['bad channel: dot (NATS subject token)', ['channel'], 'stable.eu'],
      ['missing required: summary', ['summary'], undefined],
      ['bad timestamp: occurredAt', ['occurredAt'], '2026-05-16 01:27:00'],
    ],
  ),
];
