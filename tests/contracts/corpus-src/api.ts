// Corpus of the operator API (the CP read routes the CLI validates).
import { CLOSURE, CLOSURE2, corpus, RID, TS, type Corpus } from './kit.ts';

const hostRow = {
  hostname: 'web-01',
  channel: 'stable',
  declaredClosure: CLOSURE,
  currentClosure: CLOSURE2,
  rolloutId: RID,
  state: 'Soaking',
  stateSince: TS,
  lastSeenAt: TS,
  reachable: true,
  pendingReboot: false,
  quarantinedClosure: null,
  failingEnforceProbes: [],
  pin: null,
  agentVersion: '0.2.0',
};
const rolloutRow = {
  rolloutId: RID,
  displayName: 'stable@3f2a9c1',
  channel: 'stable',
  state: 'Active',
  openedAt: TS,
  terminalAt: null,
  currentWave: 1,
  waves: [
    {
      index: 0,
      soakMinutes: 30,
      hosts: 1,
      pending: 0,
      inFlight: 0,
      converged: 1,
      failed: 0,
      deferred: 0,
    },
  ],
  budgets: [{ label: 'tags=etcd', inFlight: 1, limit: 1 }],
};
const decision = {
  ts: TS,
  decision: 'hold',
  code: 'BUDGET_SATURATED',
  gate: 'disruption-budget',
  channel: 'stable',
  rollout: RID,
  wave: 1,
  host: 'etcd-2',
  transition: null,
  reason: 'held: budget tags=etcd 1/1 in flight',
  budgets: { 'tags=etcd': '1/1 in flight' },
};

export const operatorApi: Corpus[] = [
  corpus(
    'api-hosts',
    [
      ['one soaking host', { generatedAt: TS, hosts: [hostRow] }],
      [
        'never-seen host',
        {
          generatedAt: TS,
          hosts: [
            {
              ...hostRow,
              currentClosure: null,
              rolloutId: null,
              state: null,
              stateSince: null,
              lastSeenAt: null,
              reachable: false,
              agentVersion: null,
            },
          ],
        },
      ],
      [
        'never-seen host whose enrollment was refused',
        {
          generatedAt: TS,
          hosts: [
            {
              ...hostRow,
              currentClosure: null,
              rolloutId: null,
              state: null,
              stateSince: null,
              lastSeenAt: null,
              reachable: false,
              agentVersion: null,
              enrollRefusal: {
                code: 'CP_ERR_NONCE_NOT_ALLOWED',
                message: 'token nonce is not in the signed bootstrap-nonces allowlist',
                at: TS,
                firstAt: TS,
                count: 3,
              },
            },
          ],
        },
      ],
    ],
    [
      ['wrong type: reachable string', ['hosts', 0, 'reachable'], 'yes'],
      ['missing required: pendingReboot', ['hosts', 0, 'pendingReboot'], undefined],
      ['unknown host state', ['hosts', 0, 'state'], 'Healthy'],
      ['bad timestamp: lastSeenAt', ['hosts', 0, 'lastSeenAt'], 'now'],
      ['bad closure pattern', ['hosts', 0, 'currentClosure'], 'abc'],
      ['nested: failing probes not strings', ['hosts', 0, 'failingEnforceProbes'], [1]],
      [
        'enroll refusal without a code',
        ['hosts', 0, 'enrollRefusal'],
        { message: 'refused', at: TS, firstAt: TS, count: 1 },
      ],
      [
        'enroll refusal count zero',
        ['hosts', 0, 'enrollRefusal'],
        { code: 'CP_ERR_TOKEN_EXPIRED', message: 'expired', at: TS, firstAt: TS, count: 0 },
      ],
    ],
  ),
  corpus(
    'api-rollouts',
    [
      ['one active rollout', { generatedAt: TS, rollouts: [rolloutRow] }],
      ['none', { generatedAt: TS, rollouts: [] }],
      [
        'a rollout an operator paused',
        {
          generatedAt: TS,
          rollouts: [
            {
              ...rolloutRow,
              hold: {
                kind: 'paused',
                by: 'alice',
                reason: 'db migration running',
                since: TS,
                next: `nixfleet rollout resume ${RID}`,
              },
            },
          ],
        },
      ],
    ],
    [
      ['wrong type: waves object', ['rollouts', 0, 'waves'], {}],
      ['missing required: state', ['rollouts', 0, 'state'], undefined],
      ['unknown rollout state', ['rollouts', 0, 'state'], 'Soaked'],
      ['bad timestamp: openedAt', ['rollouts', 0, 'openedAt'], '2026-05-16'],
      ['nested: negative inFlight', ['rollouts', 0, 'waves', 0, 'inFlight'], -1],
      ['nested: budget limit zero', ['rollouts', 0, 'budgets', 0, 'limit'], 0],
      [
        'unknown hold kind',
        ['rollouts', 0, 'hold'],
        { kind: 'frozen', by: null, reason: 'r', since: null, next: 'x' },
        ['rollouts', 0, 'hold', 'kind'],
      ],
      [
        'hold without a way forward',
        ['rollouts', 0, 'hold'],
        { kind: 'paused', by: 'alice', reason: 'r', since: TS },
        ['rollouts', 0, 'hold'],
      ],
    ],
  ),
  corpus(
    'api-rollout-events',
    [
      [
        'events',
        {
          rolloutId: RID,
          events: [
            { seq: 1, at: TS, hostname: 'web-01', kind: 'DispatchAck', payload: { seq: 2 } },
            { seq: 2, at: TS, hostname: null, kind: 'WavePromoted', payload: null },
          ],
        },
      ],
    ],
    [
      ['wrong type: events object', ['events'], {}],
      ['missing required: kind', ['events', 0, 'kind'], undefined],
      ['seq zero', ['events', 0, 'seq'], 0],
      ['bad timestamp', ['events', 0, 'at'], 'yesterday'],
      ['bad rollout id', ['rolloutId'], 'stable'],
    ],
  ),
  corpus(
    'api-rollout-trace',
    [
      [
        'a budget hold',
        {
          rolloutId: RID,
          decisions: [
            decision,
            {
              ...decision,
              decision: 'promote',
              code: 'WAVE_PROMOTED',
              gate: 'wave-promotion',
              host: null,
              transition: 'wave 0 -> wave 1',
              budgets: null,
            },
          ],
          pacing: null,
        },
      ],
      [
        'a host of a wave unchanged since the superseded rollout, dispatched without the soak',
        {
          rolloutId: RID,
          decisions: [
            {
              ...decision,
              decision: 'dispatch',
              code: 'DISPATCHED_UNCHANGED',
              gate: null,
              transition: '(none) -> Pending',
              reason:
                'all gates passed; dispatching 0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11, unchanged since stable@2f1a8b0c where every member of the wave converged on its closure after the soak: soak waived (30m), activation and enforce probes checked again',
            },
          ],
          pacing: null,
        },
      ],
      [
        'a wave held by admission control',
        {
          rolloutId: RID,
          decisions: [
            {
              ...decision,
              code: 'DISPATCH_PACED',
              gate: 'admission-control',
              reason:
                'cleared by every gate; held by admission control (1 of 6543 queued, released at 150 hosts/s, due in about 1 s)',
              budgets: null,
            },
          ],
          pacing: { heldDispatches: 6543, dispatchRatePerSec: 150 },
        },
      ],
      [
        'a canary held by failing compliance controls (one row per control)',
        {
          rolloutId: RID,
          decisions: [decision],
          pacing: null,
          probeFailures: ['ssh-no-password', 'firewall-enabled'].map((controlId, i) => ({
            rolloutId: RID,
            hostname: 'web-01',
            probe: 'compliance-nis2',
            controlId,
            framework: 'nis2',
            article: i === 0 ? 'art. 21(2)(j)' : null,
            reason: '2 control(s) failing for nis2',
            observedAt: '2026-05-16T01:27:05Z',
            eventLogSeq: 42,
          })),
        },
      ],
    ],
    [
      ['wrong type: decisions object', ['decisions'], {}],
      [
        'probe failure without hostname',
        ['probeFailures'],
        [{ probe: 'p', observedAt: '2026-05-16T01:27:05Z' }],
      ],
      ['probe failures not a list', ['probeFailures'], { controlId: 'ssh-no-password' }],
      ['missing required: pacing', ['pacing'], undefined],
      ['negative held count', ['pacing'], { heldDispatches: -1, dispatchRatePerSec: 150 }],
      ['missing required: reason', ['decisions', 0, 'reason'], undefined],
      ['unknown decision code', ['decisions', 0, 'code'], 'BUDGET_FULL'],
      ['bad timestamp', ['decisions', 0, 'ts'], '01:27'],
      ['unknown gate', ['decisions', 0, 'gate'], 'budget'],
      ['nested: budget usage not a string', ['decisions', 0, 'budgets', 'tags=etcd'], 1],
    ],
  ),
  corpus(
    'api-channel',
    [
      [
        'channel',
        {
          name: 'stable',
          rolloutPolicy: 'canary',
          freshnessWindow: 1440,
          artifactSignedAt: TS,
          artifactCiCommit: '3f2a9c1d',
          activeRollout: RID,
          queuedRollout: null,
          hosts: ['web-01'],
          quarantinedClosures: [{ closure: CLOSURE, since: TS, rolloutId: RID }],
        },
      ],
    ],
    [
      ['wrong type: hosts string', ['hosts'], 'web-01'],
      ['missing required: freshnessWindow', ['freshnessWindow'], undefined],
      ['bad channel name', ['name'], 'Stable!'],
      ['bad timestamp', ['artifactSignedAt'], '2026'],
      ['nested: quarantined closure pattern', ['quarantinedClosures', 0, 'closure'], 'bad'],
    ],
  ),
  corpus(
    'api-deferrals',
    [
      [
        'one deferral',
        {
          deferrals: [
            {
              hostname: 'web-01',
              rolloutId: RID,
              component: 'kernel',
              deferredAt: TS,
              targetClosure: CLOSURE,
            },
          ],
        },
      ],
    ],
    [
      ['wrong type: deferrals object', ['deferrals'], {}],
      ['missing required: component', ['deferrals', 0, 'component'], undefined],
      ['unknown component', ['deferrals', 0, 'component'], 'glibc'],
      ['bad timestamp', ['deferrals', 0, 'deferredAt'], 'soon'],
      ['bad hostname', ['deferrals', 0, 'hostname'], 'WEB'],
    ],
  ),
  corpus(
    'api-rollout-action',
    [
      ['request: pause with a reason', { action: 'pause', reason: 'db migration running' }],
      [
        'answer: applied, with the operator marks',
        {
          action: 'approve',
          reason: 'canary healthy',
          rolloutId: RID,
          outcome: 'applied',
          message: `${RID}: approve recorded`,
          operator: 'alice',
          state: {
            rollout: 'Active',
            currentWave: 1,
            paused: null,
            aborted: null,
            approvals: [{ wave: 1, by: 'alice', reason: 'canary healthy', at: TS }],
          },
        },
      ],
      [
        'answer: already paused',
        {
          action: 'pause',
          reason: 'again',
          rolloutId: RID,
          outcome: 'already',
          message: `${RID} is already paused by operator:alice`,
          operator: 'alice',
          state: {
            rollout: 'Active',
            currentWave: 0,
            paused: { by: 'alice', reason: 'db migration running', at: TS },
            aborted: null,
            approvals: [],
          },
        },
      ],
    ],
    [
      ['unknown action', ['action'], 'promote'],
      ['missing required: reason', ['reason'], undefined],
      ['wrong type: reason number', ['reason'], 5],
      ['unknown outcome', ['outcome'], 'maybe'],
      ['missing required: action', ['action'], undefined],
    ],
  ),
  corpus(
    'api-whoami',
    [
      ['agent', { cn: 'web-01', role: 'agent', notAfter: TS }],
      ['operator', { cn: 'alice', role: 'operator', notAfter: TS }],
    ],
    [
      ['wrong type: cn number', ['cn'], 1],
      ['missing required: role', ['role'], undefined],
      ['unknown role', ['role'], 'admin'],
      ['bad timestamp', ['notAfter'], 'never'],
      ['missing required: notAfter', ['notAfter'], undefined],
    ],
  ),
  corpus(
    'api-health',
    [
      [
        'degraded',
        {
          status: 'degraded',
          version: '0.2.0',
          fleetSignedAt: TS,
          alerts: [{ code: 'CP_ERR_ARTIFACT_REJECTED', message: 'refused', since: TS }],
        },
      ],
      ['starting', { status: 'starting', version: '0.2.0', fleetSignedAt: null, alerts: [] }],
      [
        'alert naming its artifact',
        {
          status: 'degraded',
          version: '0.2.0',
          fleetSignedAt: TS,
          alerts: [
            {
              code: 'TRUST_ERR_BAD_SIGNATURE',
              message: 'rollout-manifest rollouts/stable@0123abc.json: signature does not verify',
              since: TS,
              artifact: 'rollout-manifest',
              path: 'rollouts/stable@0123abc.json',
            },
          ],
        },
      ],
      [
        'rollback alert naming the channel and both signing times',
        {
          status: 'degraded',
          version: '0.2.0',
          fleetSignedAt: TS,
          alerts: [
            {
              code: 'CP_ERR_ARTIFACT_ROLLBACK',
              message: 'channel stable: 0123abc signed 2026-05-16T00:00:00Z is older than 4567def',
              since: TS,
              artifact: 'fleet.resolved',
              path: 'fleet.resolved.json',
              channel: 'stable',
              refusedSignedAt: '2026-05-16T00:00:00Z',
              adoptedSignedAt: TS,
            },
          ],
        },
      ],
    ],
    [
      ['wrong type: alerts object', ['alerts'], {}],
      ['wrong type: alert channel', ['alerts', 0, 'channel'], 7],
      ['bad timestamp: refusedSignedAt', ['alerts', 0, 'refusedSignedAt'], 'an hour ago'],
      ['wrong type: alert path', ['alerts', 0, 'path'], 7],
      ['missing required: status', ['status'], undefined],
      ['unknown status', ['status'], 'red'],
      ['bad timestamp', ['alerts', 0, 'since'], 'now'],
      ['nested: alert code missing', ['alerts', 0, 'code'], undefined],
    ],
  ),
  corpus(
    'api-error',
    [
      [
        'schema error',
        {
          error: {
            code: 'CP_ERR_SCHEMA',
            message: 'body invalid',
            status: 400,
            issues: [{ path: 'seq', message: 'must be >= 1' }],
          },
        },
      ],
      [
        'no issues key',
        { error: { code: 'CP_ERR_CN_MISMATCH', message: 'CN mismatch', status: 403 } },
      ],
    ],
    [
      ['wrong type: status string', ['error', 'status'], '403'],
      ['missing required: code', ['error', 'code'], undefined],
      ['status out of range', ['error', 'status'], 200],
      ['bad code pattern', ['error', 'code'], 'cn mismatch'],
      ['nested: issue path missing', ['error', 'issues', 0, 'path'], undefined],
    ],
  ),
];
