// Corpus of the NixOS-side contracts: fleet input, host spec, persistence, trust options.
import { corpus, KEY, NONCE, TS, type Corpus } from './kit.ts';

export const nixosSide: Corpus[] = [
  corpus(
    'fleet-input',
    [
      [
        'small canary fleet with probes, pins and budgets',
        {
          hosts: {
            'web-01': {
              system: 'x86_64-linux',
              channel: 'stable',
              tags: ['canary', 'web'],
              healthChecks: { nginx: { kind: 'http', url: 'http://localhost/' } },
            },
            'db-01': {
              system: 'x86_64-linux',
              channel: 'stable',
              pin: { commit: '3f2a9c1d', reason: 'hold' },
            },
          },
          tags: { web: { description: 'web servers' } },
          channels: {
            stable: {
              rolloutPolicy: 'canary',
              freshnessWindow: 1440,
              compliance: {
                frameworks: ['anssi-bp028', { name: 'nis2-essential', mode: 'observe' }],
              },
            },
          },
          rolloutPolicies: {
            canary: {
              strategy: 'canary',
              allowNoEnforceProbes: false,
              healthGate: { systemdFailedUnits: { max: 0 } },
              waves: [
                {
                  selector: { tags: ['canary'] },
                  soakMinutes: 30,
                  minSoaked: 1,
                  waitForNeverSeenMinutes: 120,
                  allowNoEnforceProbes: false,
                },
                { selector: { and: [{ all: true }, { not: { hosts: ['web-01'] } }] } },
              ],
            },
          },
          edges: [{ before: 'db-01', after: 'web-01' }],
          disruptionBudgets: [{ selector: { tagsAny: ['web', 'db'] }, maxInFlightPct: 50 }],
          healthChecks: {
            heartbeat: { kind: 'tcp', host: '127.0.0.1', port: 22, mode: 'observe' },
          },
          compliance: {
            frameworks: {
              'nis2-essential': { mode: 'observe', controlOverrides: { ac: { mode: 'enforce' } } },
            },
          },
          revocations: [{ hostname: 'old-01', notBefore: TS }],
          bootstrapNonces: [{ nonce: NONCE, hostname: 'web-01', expiresAt: TS }],
          acceptWarnings: { 'empty-budget:disruptionBudgets[0]': 'db hosts join next quarter' },
        },
      ],
      ['empty fleet', {}],
      [
        'operators with roles, a manual second wave, a policy an operator may clear',
        {
          hosts: { 'web-01': { system: 'x86_64-linux', channel: 'stable', tags: ['canary'] } },
          channels: { stable: { rolloutPolicy: 'gated', freshnessWindow: 1440 } },
          rolloutPolicies: {
            gated: {
              strategy: 'canary',
              operatorClear: true,
              waves: [
                { selector: { tags: ['canary'] } },
                { selector: { all: true }, approval: 'manual' },
              ],
            },
          },
          operators: {
            alice: { role: 'admin' },
            bob: { role: 'operator' },
            carol: { role: 'viewer' },
          },
        },
      ],
      [
        'irrevocable values at tag and host scope, one sensitive',
        {
          hosts: {
            'hive-01': {
              system: 'x86_64-linux',
              channel: 'stable',
              tags: ['matrix'],
              irrevocable: {
                serverName: 'example.com',
                maxUsers: 100,
                federation: false,
                signingSeed: { value: 's3cr3t', sensitive: true },
              },
            },
          },
          tags: { matrix: { irrevocable: { region: 'eu-west', legacyId: { value: 'x' } } } },
          channels: { stable: { rolloutPolicy: 'all', freshnessWindow: 1440 } },
          rolloutPolicies: { all: { strategy: 'all-at-once' } },
        },
      ],
    ],
    [
      ['wrong type: tags string', ['hosts', 'web-01', 'tags'], 'canary'],
      ['missing required: freshnessWindow', ['channels', 'stable', 'freshnessWindow'], undefined],
      ['unknown enum: strategy', ['rolloutPolicies', 'canary', 'strategy'], 'blue-green'],
      ['bad timestamp: revocation notBefore', ['revocations', 0, 'notBefore'], '2026-05-16'],
      [
        'nested: unknown probe kind',
        ['hosts', 'web-01', 'healthChecks', 'nginx', 'kind'],
        'icmp',
        ['hosts', 'web-01', 'healthChecks', 'nginx'],
      ],
      [
        'unknown option (typo) is an error: closed contract',
        ['hosts', 'db-01', 'chanel'],
        'stable',
      ],
      ['maxInFlightPct above 100', ['disruptionBudgets', 0, 'maxInFlightPct'], 150],
      ['wave minSoaked zero', ['rolloutPolicies', 'canary', 'waves', 0, 'minSoaked'], 0],
      ['unknown enum: wave approval', ['rolloutPolicies', 'canary', 'waves', 0, 'approval'], 'ask'],
      ['policy operatorClear not a bool', ['rolloutPolicies', 'canary', 'operatorClear'], 'yes'],
      [
        'unknown enum: operator role',
        ['operators'],
        { alice: { role: 'root' } },
        ['operators', 'alice', 'role'],
      ],
      [
        'policy allowNoEnforceProbes null (only a wave may inherit)',
        ['rolloutPolicies', 'canary', 'allowNoEnforceProbes'],
        null,
      ],
      [
        'wave allowNoEnforceProbes not a bool',
        ['rolloutPolicies', 'canary', 'waves', 0, 'allowNoEnforceProbes'],
        1,
      ],
      [
        'wave waitForNeverSeenMinutes negative',
        ['rolloutPolicies', 'canary', 'waves', 1, 'waitForNeverSeenMinutes'],
        -1,
      ],
      [
        'health gate: a condition the agent cannot measure is an error (closed)',
        ['rolloutPolicies', 'canary', 'healthGate', 'cpuLoad'],
        { max: 2 },
      ],
      [
        'acceptWarnings reason is not a string',
        ['acceptWarnings', 'empty-budget:disruptionBudgets[0]'],
        true,
      ],
      [
        'nested selector: not is a list',
        ['rolloutPolicies', 'canary', 'waves', 1, 'selector', 'and', 1, 'not'],
        [],
      ],
      ['probe interval zero', ['healthChecks', 'heartbeat', 'intervalSeconds'], 0],
      [
        'irrevocable value is a list',
        ['hosts', 'web-01', 'irrevocable'],
        { region: ['eu-west'] },
        ['hosts', 'web-01', 'irrevocable', 'region'],
      ],
      [
        'irrevocable value is a float',
        ['tags', 'web', 'irrevocable'],
        { ratio: 1.5 },
        ['tags', 'web', 'irrevocable', 'ratio'],
      ],
      [
        'irrevocable declaration without value',
        ['hosts', 'db-01', 'irrevocable'],
        { clusterId: { sensitive: true } },
        ['hosts', 'db-01', 'irrevocable', 'clusterId'],
      ],
    ],
  ),
  corpus(
    'compliance-control',
    [
      [
        'ssh root login, as lib/compliance/catalogue declares it',
        {
          id: 'ssh-root-login-disabled',
          title: 'SSH refuses logins as root.',
          rationale: 'A root login names no person.',
          frameworks: { 'anssi-bp028': ['R33'], iso27001: ['A.8.2'] },
          static: {
            optionPaths: [
              ['services', 'openssh', 'enable'],
              ['services', 'openssh', 'settings', 'PermitRootLogin'],
            ],
          },
          probe: {
            command: ['sshd', '-T'],
            output: 'key-value',
            expectedShape: { permitrootlogin: 'string' },
            expect: { permitrootlogin: ['no'], exitCode: [0] },
            schemaVersion: 1,
          },
        },
      ],
      [
        'sysctl control, a dotted sysctl name is one path segment',
        {
          id: 'fs-sysctl-hardening',
          title: 'fs protections on.',
          rationale: 'races.',
          frameworks: { 'anssi-bp028': ['R14'] },
          static: { optionPaths: [['boot', 'kernel', 'sysctl', 'fs.suid_dumpable']] },
          probe: {
            command: ['sysctl', 'fs.suid_dumpable'],
            output: 'sysctl',
            expectedShape: { 'fs.suid_dumpable': 'string' },
            expect: { 'fs.suid_dumpable': ['0'], exitCode: [0], strict: [true] },
            schemaVersion: 2,
          },
        },
      ],
    ],
    [
      ['id with an upper-case letter', ['id'], 'SSH-root'],
      ['missing title', ['title'], undefined],
      ['unknown output format', ['probe', 'output'], 'xml'],
      [
        'expected shape names an unknown JSON type',
        ['probe', 'expectedShape', 'permitrootlogin'],
        'text',
      ],
      ['schemaVersion zero', ['probe', 'schemaVersion'], 0],
      [
        'option path is a string, not segments',
        ['static', 'optionPaths', 0],
        'services.openssh.enable',
      ],
      ['unknown key (closed contract)', ['probe', 'parse'], 'awk'],
      ['expected value is an object', ['probe', 'expect', 'permitrootlogin', 0], { no: true }],
    ],
  ),
  corpus(
    'host-spec',
    [
      ['minimal', { hostSpec: { hostName: 'web-01' } }],
      [
        'full',
        {
          hostSpec: {
            hostName: 'web-01',
            userName: 'deploy',
            home: '/home/deploy',
            timeZone: 'Europe/Paris',
            locale: 'fr_FR.UTF-8',
            keyboardLayout: 'fr',
            rootHashedPasswordFile: null,
            rootSshKeys: ['ssh-ed25519 AAAA ops'],
            networking: { primaryInterface: 'eth0' },
            secretsBackend: 'agenix',
            isDarwin: false,
          },
        },
      ],
    ],
    [
      ['wrong type: isDarwin string', ['hostSpec', 'isDarwin'], 'no'],
      ['missing required: hostName', ['hostSpec', 'hostName'], undefined],
      ['bad pattern: hostName uppercase', ['hostSpec', 'hostName'], 'WEB-01'],
      ['unknown option in closed contract', ['hostSpec', 'hostname'], 'web-01'],
      ['nested: rootSshKeys element', ['hostSpec', 'rootSshKeys'], [1]],
      ['missing hostSpec entirely', ['hostSpec'], undefined],
    ],
  ),
  corpus(
    'persistence',
    [
      ['defaults', { nixfleet: { persistence: {} } }],
      [
        'entries',
        {
          nixfleet: {
            persistence: {
              enable: true,
              persistRoot: '/persist',
              directories: ['/var/lib/nixfleet', { directory: '/var/lib/x', mode: '0700' }],
              files: [],
            },
          },
        },
      ],
    ],
    [
      ['wrong type: enable string', ['nixfleet', 'persistence', 'enable'], 'yes'],
      ['wrong type: directories string', ['nixfleet', 'persistence', 'directories'], '/var/lib'],
      ['nested: entry number', ['nixfleet', 'persistence', 'files'], [1]],
      ['unknown option', ['nixfleet', 'persistence', 'dirs'], []],
      ['wrong type: persistRoot null', ['nixfleet', 'persistence', 'persistRoot'], null],
    ],
  ),
  corpus(
    'trust',
    [
      ['defaults', { nixfleet: { trust: {} } }],
      [
        'keys',
        {
          nixfleet: {
            trust: {
              ciReleaseKey: { current: { algorithm: 'ecdsa-p256', public: KEY } },
              cacheKeys: ['c:1'],
              orgRootKey: { current: { algorithm: 'ed25519', public: KEY } },
            },
          },
        },
      ],
    ],
    [
      ['wrong type: cacheKeys string', ['nixfleet', 'trust', 'cacheKeys'], 'c:1'],
      [
        'unknown enum: algorithm',
        ['nixfleet', 'trust', 'ciReleaseKey'],
        { current: { algorithm: 'rsa', public: KEY } },
        ['nixfleet', 'trust', 'ciReleaseKey', 'current', 'algorithm'],
      ],
      [
        'missing required: public',
        ['nixfleet', 'trust', 'ciReleaseKey'],
        { current: { algorithm: 'ed25519' } },
        ['nixfleet', 'trust', 'ciReleaseKey', 'current', 'public'],
      ],
      [
        'bad timestamp: retireAt',
        ['nixfleet', 'trust', 'ciReleaseKey'],
        { retireAt: 'soon' },
        ['nixfleet', 'trust', 'ciReleaseKey', 'retireAt'],
      ],
      [
        'unknown option in slot',
        ['nixfleet', 'trust', 'orgRootKey'],
        { currnet: null },
        ['nixfleet', 'trust', 'orgRootKey', 'currnet'],
      ],
    ],
  ),
];
