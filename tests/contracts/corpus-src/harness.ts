// Corpus of the harness scenario contract.
import { corpus, type Corpus, type Json } from './kit.ts';

const scenario = {
  name: 'smoke',
  description: 'two agents converge',
  fast: true,
  timing: {
    heartbeatSecs: 1,
    longPollSecs: 2,
    reconcileSecs: 1,
    confirmWindowSecs: 60,
    sustainedFailureSecs: 3,
    probeIntervalSecs: 1,
  },
  fleet: { hosts: { 'web-01': { system: 'x86_64-linux', channel: 'stable' } } },
  generations: {
    g1: {
      default: { switch: 'ok', probe: 'pass', signed: true },
      hosts: { 'web-01': { switch: 'fail', probe: 'pass', signed: true } },
    },
  },
  steps: [
    { release: 'g1', wait: null, timeoutSecs: 60, fault: null, sleepSecs: null },
    {
      release: null,
      wait: {
        kind: 'hostsConverged',
        hosts: [],
        channel: null,
        state: null,
        generation: null,
        code: null,
      },
      timeoutSecs: 90,
      fault: null,
      sleepSecs: null,
    },
    {
      release: null,
      wait: null,
      timeoutSecs: 60,
      fault: {
        kind: 'killAgent',
        hosts: ['web-01'],
        artifact: null,
        seconds: null,
        duringActivation: true,
      },
      sleepSecs: null,
    },
  ],
  invariants: ['wavesInOrder'],
};

/** A late canary: not started, the hold named, then started. */
const lateCanary: Json = {
  name: 'late-canary',
  description: 'a canary that never enrolls holds its wave',
  fleet: {},
  notStarted: ['canary-02'],
  generations: { g1: {} },
  steps: [
    { release: 'g1' },
    {
      wait: {
        kind: 'decision',
        channel: 'stable',
        code: 'WAVE_AWAITING_NEVER_SEEN',
        hosts: ['canary-02'],
      },
    },
    { wait: { kind: 'notDispatched', hosts: ['web-01'] }, timeoutSecs: 1 },
    { fault: { kind: 'startAgent', hosts: ['canary-02'] } },
  ],
};

export const harness: Corpus[] = [
  corpus(
    'harness-scenario',
    [
      ['full', scenario],
      [
        'minimal (defaults)',
        {
          name: 'x',
          description: 'd',
          fleet: {},
          generations: { g1: {} },
          steps: [{ release: 'g1' }],
        },
      ],
      ['late canary: notStarted, decision, notDispatched, startAgent', lateCanary],
      [
        'operator actions: resume, and a refusal expected by code',
        {
          name: 'operator-steps',
          description: 'd',
          fleet: { operators: { harness: { role: 'admin' } } },
          generations: { g1: {} },
          steps: [
            { release: 'g1' },
            { operator: { action: 'resume', channel: 'stable', reason: 'first start' } },
            { operator: { action: 'clear', as: 'vic', expectCode: 'CP_ERR_ROLE_FORBIDDEN' } },
            {
              operator: {
                action: 'approve',
                reason: 'x',
                expectCode: 'CP_ERR_APPROVAL_NOT_REQUIRED',
              },
            },
          ],
        },
      ],
      [
        'a probe file removed, its typed failure awaited',
        {
          name: 'probe-missing',
          description: 'd',
          fleet: {},
          generations: { g1: {} },
          steps: [
            { release: 'g1' },
            { fault: { kind: 'removeProbeFile', hosts: ['web-01'] } },
            {
              wait: { kind: 'probeFailed', hosts: ['web-01'], code: 'AGENT_ERR_PROBES_MISMATCH' },
            },
          ],
        },
      ],
      [
        'a host added by host add, measured at the shipped timings',
        {
          name: 'comms-host-add',
          description: 'd',
          timing: { shipped: true, probeIntervalSecs: 10 },
          fleet: {},
          generations: { g1: {}, g2: {} },
          steps: [
            { release: 'g1' },
            {
              hostAdd: {
                host: 'agent-17',
                tags: ['agent', 'main'],
                channel: 'comms',
                release: 'g2',
                heartbeatSubject: 'fleet.heartbeat.agent-17',
                withinSecs: 60,
              },
              timeoutSecs: 180,
            },
          ],
          invariants: ['hostAddWithin'],
        },
      ],
      [
        'irrevocable values per generation, a refused and an accepted release',
        {
          name: 'hive-matrix',
          description: 'd',
          fleet: {},
          generations: {
            g1: {
              irrevocable: { 'hive-01': { serverName: 'matrix.example.com' } },
              hosts: {
                'hive-01': { activationTokens: ['/var/lib/hyperhive/matrix-register-token'] },
              },
            },
            g2: { irrevocable: { 'hive-01': { serverName: 'example.com', federation: true } } },
            g3: { hive: { 'hive-01': { defaults: 'v1', domain: 'example.com', matrix: {} } } },
          },
          steps: [
            { release: 'g1' },
            {
              release: 'g2',
              expectRefused: 'RELEASE_ERR_IRREVOCABLE_CHANGE',
              expectMessage: ['hive-01: serverName'],
            },
            { release: 'g2', acceptIrrevocable: ['hive-01:serverName'] },
          ],
        },
      ],
      [
        'compliance: option values over the hardened stand-in, a failing runtime control, a control awaited',
        {
          name: 'compliance-gate',
          description: 'd',
          fleet: {},
          generations: {
            g1: {},
            g2: {
              nixos: {
                'canary-01': { services: { openssh: { settings: { PermitRootLogin: 'yes' } } } },
              },
            },
            g3: { default: { failingControls: ['firewall-enabled'] } },
          },
          steps: [
            { release: 'g1' },
            { release: 'g2', expectRefused: 'RELEASE_ERR_COMPLIANCE' },
            { release: 'g3' },
            {
              wait: {
                kind: 'controlFailed',
                channel: 'stable',
                hosts: ['canary-01'],
                code: 'firewall-enabled',
              },
            },
          ],
        },
      ],
      [
        'two control-plane replicas, the leader killed mid-rollout',
        {
          name: 'replicas-failover',
          description: 'd',
          replicas: 2,
          fleet: {},
          generations: { g1: {} },
          steps: [
            { release: 'g1' },
            { wait: { kind: 'hostState', hosts: ['web-01'], state: 'Activating' } },
            { fault: { kind: 'killLeader' } },
            { wait: { kind: 'hostsConverged' } },
          ],
          invariants: ['leaderTakeover', 'ackedEventsLogged', 'budgetsRespected'],
        },
      ],
    ],
    [
      ['wrong type: fast string', ['fast'], 'yes'],
      ['one replica is not a replica set', ['replicas'], 1],
      ['replicas not a number', ['replicas'], 'two'],
      ['unknown invariant', ['invariants'], ['leaderTakesOver'], ['invariants', 0]],
      [
        'failing control id not a control id',
        ['generations', 'g1', 'default'],
        { failingControls: ['Firewall Enabled'] },
        ['generations', 'g1', 'default', 'failingControls', 0],
      ],
      [
        'nixos options of a host not an attrset',
        ['generations', 'g1', 'nixos'],
        { 'canary-01': 'PermitRootLogin yes' },
        ['generations', 'g1', 'nixos', 'canary-01'],
      ],
      [
        'irrevocable value is a list',
        ['generations', 'g1', 'irrevocable'],
        { 'web-01': { serverName: ['a'] } },
        ['generations', 'g1', 'irrevocable', 'web-01', 'serverName'],
      ],
      [
        'activation token path not absolute',
        ['generations', 'g1', 'hosts', 'web-01', 'activationTokens'],
        ['var/lib/token'],
        ['generations', 'g1', 'hosts', 'web-01', 'activationTokens', 0],
      ],
      [
        'hive module release unknown',
        ['generations', 'g1', 'hive'],
        { 'web-01': { defaults: 'v3' } },
        ['generations', 'g1', 'hive', 'web-01', 'defaults'],
      ],
      [
        'host add of a host name that is not one',
        ['steps', 0, 'hostAdd'],
        { host: 'Agent 17', release: 'g1' },
        ['steps', 0, 'hostAdd', 'host'],
      ],
      [
        'host add without the generation it releases',
        ['steps', 0, 'hostAdd'],
        { host: 'agent-17' },
        ['steps', 0, 'hostAdd', 'release'],
      ],
      [
        'host add budget zero',
        ['steps', 0, 'hostAdd'],
        { host: 'agent-17', release: 'g1', withinSecs: 0 },
        ['steps', 0, 'hostAdd', 'withinSecs'],
      ],
      ['shipped timings not a boolean', ['timing', 'shipped'], 'yes'],
      ['acceptIrrevocable without a name', ['steps', 0, 'acceptIrrevocable'], ['web-01']],
      ['expectRefused not a release code', ['steps', 0, 'expectRefused'], 'AGENT_ERR_X'],
      ['missing required: steps', ['steps'], undefined],
      ['unknown fault kind', ['steps', 2, 'fault', 'kind'], 'reboot'],
      [
        'unknown operator action',
        ['steps', 0, 'operator'],
        { action: 'promote' },
        ['steps', 0, 'operator', 'action'],
      ],
      [
        'operator acting as a name that is no operator name',
        ['steps', 0, 'operator'],
        { action: 'clear', as: 'Operator:Vic' },
        ['steps', 0, 'operator', 'as'],
      ],
      [
        'operator expectCode not a CP code',
        ['steps', 0, 'operator'],
        { action: 'pause', expectCode: 'FORBIDDEN' },
        ['steps', 0, 'operator', 'expectCode'],
      ],
      ['bad name pattern', ['name'], 'Smoke Test'],
      [
        'nested: unknown switch behaviour',
        ['generations', 'g1', 'hosts', 'web-01', 'switch'],
        'explode',
      ],
      ['timeout zero', ['steps', 1, 'timeoutSecs'], 0],
      ['unknown invariant', ['invariants'], ['fast']],
      ['unknown key (closed contract)', ['steps', 0, 'relase'], 'g1'],
      ['wrong type: notStarted a string', ['notStarted'], 'canary-02'],
    ],
  ),
];
