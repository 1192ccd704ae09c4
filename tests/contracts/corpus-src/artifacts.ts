// Corpus of the signed artifacts and what hosts sign: fleet.resolved, rollout manifests,
// revocations, bootstrap nonces and tokens, trust.json, health checks, probe payloads.
import {
  CLOSURE,
  corpus,
  edit,
  fleetResolved,
  KEY,
  manifest,
  meta,
  NONCE,
  RID,
  slot,
  TS,
  type Corpus,
} from './kit.ts';

// A manifest as `nixfleet release` writes it: each host's probe set read from its closure.
const manifestWithProbes = edit(
  edit(manifest, ['hostSet', 0, 'probes'], {}),
  ['hostSet', 1, 'probes'],
  {
    alive: {
      kind: 'exec',
      intervalSeconds: 30,
      mode: 'enforce',
      command: '/run/current-system/sw/bin/check-alive',
      expectExitCode: 0,
      timeoutSecs: 10,
    },
  },
);

// Signed irrevocable values (contracts/_irrevocable.nix): one plain, one sensitive, and an acceptance.
const SHA_NEW = '6902ca67f52fc544c00e9be90f5d43daba1adc8346edca6cfd5802e37a28a85e';
const SHA_OLD = '9b48aaa90cfbe60fb53223544bd57b8f3c8a2e30ba527e9f7f7919b3a8a8d564';
const irrevocableValues = {
  serverName: { sha256: SHA_NEW, value: 'example.com', sensitive: false },
  signingSeed: { sha256: SHA_OLD, value: null, sensitive: true },
};
const acceptance = {
  host: 'web-01',
  name: 'serverName',
  oldSha256: SHA_OLD,
  newSha256: SHA_NEW,
  oldValue: 'matrix.example.com',
  newValue: 'example.com',
  acceptedBy: 'ci@github:example/fleet',
  ciCommit: '3f2a9c1d0e4b',
  acceptedAt: TS,
};
const { acceptedBy: _by, ...withoutAcceptedBy } = acceptance;
const fleetResolvedIrrevocable = edit(
  edit(fleetResolved, ['hosts', 'web-01', 'irrevocable'], irrevocableValues),
  ['irrevocableAcceptances'],
  [acceptance],
);
const manifestIrrevocable = edit(
  edit(manifest, ['hostSet', 0, 'irrevocable'], irrevocableValues),
  ['hostSet', 0, 'irrevocableAcceptances'],
  [{ ...acceptance, host: 'db-01' }],
);

export const artifacts: Corpus[] = [
  corpus(
    'fleet-resolved',
    [
      ['two hosts, pin on one, signed', fleetResolved],
      [
        'unsigned output of mkFleet (nulls), unknown extra field ignored',
        edit(
          edit(fleetResolved, ['meta'], { schemaVersion: 1, signedAt: null, ciCommit: null }),
          ['futureField'],
          { x: 1 },
        ),
      ],
      ['irrevocable values (one sensitive) and an accepted change', fleetResolvedIrrevocable],
      [
        'operators with roles, a manual wave and a policy an operator may clear',
        edit(
          edit(
            edit(fleetResolved, ['operators'], {
              alice: { role: 'admin' },
              bob: { role: 'viewer' },
            }),
            ['rolloutPolicies', 'canary', 'operatorClear'],
            true,
          ),
          ['rolloutPolicies', 'canary', 'waves', 0, 'approval'],
          'manual',
        ),
      ],
      [
        'static compliance record: passes by id, an observe failure and a disabled control in full',
        edit(fleetResolved, ['complianceFindings'], {
          'web-01': {
            passed: ['firewall-enabled', 'ssh-root-login-disabled'],
            failed: {
              'journal-persistent': {
                mode: 'observe',
                frameworks: { 'nis2-essential': ['art.21(2)(b)'] },
                evidence: { 'services.journald.storage': 'volatile' },
                reason: 'nis2-essential: lab hosts hold no production data',
              },
            },
            disabled: {
              'disk-encryption-declared': {
                frameworks: { iso27001: ['A.8.24'] },
                reason: null,
              },
            },
          },
        }),
      ],
    ],
    [
      ['wrong type: tags is a string', ['hosts', 'web-01', 'tags'], 'web'],
      ['missing required: channels', ['channels'], undefined],
      ['unknown enum: onHealthFailure', ['rolloutPolicies', 'canary', 'onHealthFailure'], 'retry'],
      [
        'unknown enum: operator role',
        ['operators'],
        { alice: { role: 'root' } },
        ['operators', 'alice', 'role'],
      ],
      ['wrong type: operatorClear string', ['rolloutPolicies', 'canary', 'operatorClear'], 'yes'],
      ['bad timestamp: signedAt without Z', ['meta', 'signedAt'], '2026-05-16T01:27:00+02:00'],
      [
        'bad pattern: closureHash is a bare 32-char hash',
        ['hosts', 'web-01', 'closureHash'],
        '0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j',
      ],
      [
        'nested: selector not normalised (missing tagsAny)',
        ['rolloutPolicies', 'canary', 'waves', 0, 'selector', 'tagsAny'],
        undefined,
      ],
      ['nested: pin expiresAt invalid', ['hosts', 'db-01', 'pin', 'expiresAt'], 'tomorrow'],
      ['unknown schemaVersion', ['schemaVersion'], 2],
      [
        'compliance record: passed is not a list of ids',
        ['complianceFindings'],
        { 'web-01': { passed: 'all', failed: {}, disabled: {} } },
        ['complianceFindings', 'web-01', 'passed'],
      ],
      [
        'compliance record: failed control with an unknown mode',
        ['complianceFindings'],
        {
          'web-01': {
            passed: [],
            failed: { x: { mode: 'warn', frameworks: {}, evidence: {}, reason: null } },
            disabled: {},
          },
        },
        ['complianceFindings', 'web-01', 'failed', 'x', 'mode'],
      ],
      [
        'compliance record: failed control without evidence',
        ['complianceFindings'],
        {
          'web-01': {
            passed: [],
            failed: { x: { mode: 'observe', frameworks: {}, reason: null } },
            disabled: {},
          },
        },
        ['complianceFindings', 'web-01', 'failed', 'x', 'evidence'],
      ],
      ['float where integer', ['channels', 'stable', 'freshnessWindow'], 1440.5],
      ['policy wave minSoaked zero', ['rolloutPolicies', 'canary', 'waves', 0, 'minSoaked'], 0],
      [
        'resolved wave waitForNeverSeenMinutes string',
        ['waves', 'stable', 0, 'waitForNeverSeenMinutes'],
        'forever',
      ],
      [
        'health gate: negative failed-units max',
        ['rolloutPolicies', 'canary', 'healthGate', 'systemdFailedUnits', 'max'],
        -1,
      ],
      [
        'irrevocable digest not hex',
        ['hosts', 'web-01', 'irrevocable'],
        { serverName: { sha256: 'sha256:abc', value: 'example.com', sensitive: false } },
        ['hosts', 'web-01', 'irrevocable', 'serverName', 'sha256'],
      ],
      [
        'irrevocable value without its sensitive flag',
        ['hosts', 'web-01', 'irrevocable'],
        { serverName: { sha256: SHA_NEW, value: 'example.com' } },
        ['hosts', 'web-01', 'irrevocable', 'serverName', 'sensitive'],
      ],
      [
        'acceptance without acceptedBy',
        ['irrevocableAcceptances'],
        [withoutAcceptedBy],
        ['irrevocableAcceptances', 0, 'acceptedBy'],
      ],
      [
        'acceptance acceptedAt not a timestamp',
        ['irrevocableAcceptances'],
        [{ ...acceptance, acceptedAt: 'yesterday' }],
        ['irrevocableAcceptances', 0, 'acceptedAt'],
      ],
    ],
  ),
  corpus(
    'rollout-manifest',
    [
      ['two waves, one budget, signed probe sets', manifestWithProbes],
      ['hostSet without probes (null: no signed probe declaration)', manifest],
      [
        'a manual wave, and a policy an operator may clear',
        edit(edit(manifest, ['waves', 1, 'approval'], 'manual'), ['operatorClear'], true),
      ],
      ['signed irrevocable values and an accepted change for one host', manifestIrrevocable],
      [
        'ecdsa signature algorithm, no budgets',
        edit(
          edit(manifest, ['disruptionBudgets'], []),
          ['meta', 'signatureAlgorithm'],
          'ecdsa-p256',
        ),
      ],
    ],
    [
      ['wrong type: waveIndex string', ['hostSet', 0, 'waveIndex'], '1'],
      ['missing required: fleetResolvedHash', ['fleetResolvedHash'], undefined],
      ['unknown enum: signature algorithm', ['meta', 'signatureAlgorithm'], 'rsa'],
      [
        'bad pattern: uppercase hash',
        ['fleetResolvedHash'],
        '9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08',
      ],
      ['bad pattern: channelRef not hex', ['channelRef'], 'main'],
      ['bad timestamp: month 13', ['meta', 'signedAt'], '2026-13-16T01:27:00Z'],
      [
        'nested: budget selector hosts not a list',
        ['disruptionBudgets', 0, 'selector', 'hosts'],
        'web-01',
      ],
      ['negative waveIndex', ['hostSet', 1, 'waveIndex'], -1],
      ['minSoaked zero: a wave promoted on no evidence', ['waves', 0, 'minSoaked'], 0],
      ['wrong type: allowNoEnforceProbes string', ['waves', 0, 'allowNoEnforceProbes'], 'yes'],
      ['unknown enum: wave approval', ['waves', 0, 'approval'], 'ask'],
      ['wrong type: operatorClear string', ['operatorClear'], 'true'],
      ['negative waitForNeverSeenMinutes', ['waves', 1, 'waitForNeverSeenMinutes'], -5],
      [
        'health gate: failed-units gate without max',
        ['healthGate', 'systemdFailedUnits'],
        {},
        ['healthGate', 'systemdFailedUnits', 'max'],
      ],
      [
        'missing required: signed exec probe command',
        ['hostSet', 1, 'probes', 'alive', 'command'],
        undefined,
        ['hostSet', 1, 'probes', 'alive'],
      ],
      [
        'unknown enum: signed probe kind',
        ['hostSet', 1, 'probes', 'alive', 'kind'],
        'ping',
        ['hostSet', 1, 'probes', 'alive'],
      ],
      ['wrong type: probes a list', ['hostSet', 0, 'probes'], []],
      [
        'irrevocable value is an object',
        ['hostSet', 0, 'irrevocable'],
        { serverName: { sha256: SHA_NEW, value: { x: 1 }, sensitive: false } },
        ['hostSet', 0, 'irrevocable', 'serverName', 'value'],
      ],
      [
        'acceptance newSha256 uppercase',
        ['hostSet', 0, 'irrevocableAcceptances'],
        [{ ...acceptance, newSha256: SHA_NEW.toUpperCase() }],
        ['hostSet', 0, 'irrevocableAcceptances', 0, 'newSha256'],
      ],
    ],
  ),
  corpus(
    'revocations',
    [
      [
        'one revocation',
        {
          schemaVersion: 1,
          revocations: [
            { hostname: 'web-01', notBefore: TS, reason: 'decommissioned', revokedBy: 'ops' },
          ],
          meta,
        },
      ],
      ['empty list', { schemaVersion: 1, revocations: [], meta }],
    ],
    [
      ['wrong type: revocations object', ['revocations'], {}],
      ['missing required: notBefore', ['revocations', 0, 'notBefore'], undefined],
      ['unknown enum: schemaVersion 2', ['schemaVersion'], 2],
      ['bad timestamp', ['revocations', 0, 'notBefore'], '2026-05-16 01:27:00'],
      ['bad hostname pattern', ['revocations', 0, 'hostname'], '../etc'],
      ['nested meta error', ['meta', 'ciCommit'], 42],
    ],
  ),
  corpus(
    'bootstrap-nonces',
    [
      [
        'one nonce',
        {
          schemaVersion: 1,
          bootstrapNonces: [
            { nonce: NONCE, hostname: 'web-01', expiresAt: TS, mintedAt: null, mintedBy: null },
          ],
          meta,
        },
      ],
      [
        'minted fields set',
        {
          schemaVersion: 1,
          bootstrapNonces: [
            { nonce: NONCE, hostname: 'web-01', expiresAt: TS, mintedAt: TS, mintedBy: 'alice' },
          ],
          meta,
        },
      ],
    ],
    [
      ['wrong type: mintedBy number', ['bootstrapNonces', 0, 'mintedBy'], 1],
      ['missing required: expiresAt', ['bootstrapNonces', 0, 'expiresAt'], undefined],
      ['unknown enum: schemaVersion', ['schemaVersion'], 0],
      ['bad pattern: nonce too short', ['bootstrapNonces', 0, 'nonce'], '0123'],
      ['bad timestamp: expiresAt date only', ['bootstrapNonces', 0, 'expiresAt'], '2026-05-16'],
      ['missing meta', ['meta'], undefined],
    ],
  ),
  corpus(
    'bootstrap-token',
    [
      [
        'token',
        {
          version: 1,
          claims: {
            hostname: 'web-01',
            expectedPubkeyFingerprint: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
            issuedAt: TS,
            expiresAt: '2026-05-17T01:27:00Z',
            nonce: NONCE,
          },
          signature: 'c2lnbmF0dXJlLWJ5dGVzLWhlcmU=',
        },
      ],
    ],
    [
      ['wrong type: claims string', ['claims'], 'x'],
      ['missing required: signature', ['signature'], undefined],
      ['unknown enum: version 2', ['version'], 2],
      [
        'bad pattern: fingerprint unpadded',
        ['claims', 'expectedPubkeyFingerprint'],
        '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU',
      ],
      ['bad timestamp: issuedAt', ['claims', 'issuedAt'], 'yesterday'],
      ['nested: nonce uppercase', ['claims', 'nonce'], '0123456789ABCDEF0123456789ABCDEF'],
    ],
  ),
  corpus(
    'trust-json',
    [
      [
        'ed25519 CI key, org root, one cache key',
        {
          schemaVersion: 1,
          ciReleaseKey: slot,
          cacheKeys: ['cache-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY='],
          orgRootKey: slot,
        },
      ],
      [
        'rotation in progress, no org root',
        {
          schemaVersion: 1,
          ciReleaseKey: {
            ...slot,
            previous: { algorithm: 'ecdsa-p256', public: KEY },
            retireAt: TS,
          },
          cacheKeys: [],
          orgRootKey: null,
        },
      ],
    ],
    [
      ['wrong type: cacheKeys string', ['cacheKeys'], 'cache-1:abc'],
      ['missing required: ciReleaseKey', ['ciReleaseKey'], undefined],
      ['unknown enum: algorithm', ['ciReleaseKey', 'current', 'algorithm'], 'ed448'],
      ['bad timestamp: rejectBefore', ['ciReleaseKey', 'rejectBefore'], '2026-05-16T25:00:00Z'],
      ['bad pattern: public key not base64', ['ciReleaseKey', 'current', 'public'], 'not base64!'],
      ['nested: key slot missing previous', ['orgRootKey', 'previous'], undefined],
      ['unknown schemaVersion', ['schemaVersion'], 2],
    ],
  ),
  corpus(
    'health-checks',
    [
      [
        'all four kinds',
        {
          schemaVersion: 1,
          hostname: 'web-01',
          probes: {
            heartbeat: {
              kind: 'http',
              intervalSeconds: 30,
              mode: 'observe',
              url: 'http://localhost/health',
              expectStatus: 200,
              bodyContains: null,
              timeoutSecs: 3,
            },
            pg: {
              kind: 'tcp',
              intervalSeconds: 10,
              mode: 'enforce',
              host: '127.0.0.1',
              port: 5432,
              connectTimeoutSecs: 3,
            },
            disk: {
              kind: 'exec',
              intervalSeconds: 300,
              mode: 'enforce',
              command: '/run/current-system/sw/bin/check-disk',
              expectExitCode: 0,
              timeoutSecs: 10,
            },
            'evidence-nis2': {
              kind: 'evidence',
              intervalSeconds: 60,
              mode: 'disabled',
              framework: 'nis2-essential',
              evidencePath: '/var/lib/nixfleet-compliance/evidence.json',
              reason: 'Darwin host',
              controlOverrides: { 'access-control': { mode: 'enforce', reason: null } },
            },
          },
        },
      ],
      ['no probes', { schemaVersion: 1, hostname: 'web-01', probes: {} }],
      [
        'http probe with jsonKey',
        {
          schemaVersion: 1,
          hostname: 'matrix-01',
          probes: {
            'matrix-client-api': {
              kind: 'http',
              intervalSeconds: 10,
              mode: 'enforce',
              url: 'http://127.0.0.1:6167/_matrix/client/versions',
              expectStatus: 200,
              bodyContains: null,
              jsonKey: 'versions',
              timeoutSecs: 3,
            },
          },
        },
      ],
    ],
    [
      ['wrong type: port string', ['probes', 'pg', 'port'], '5432'],
      [
        'wrong type: jsonKey number',
        ['probes', 'heartbeat', 'jsonKey'],
        1,
        ['probes', 'heartbeat'],
      ],
      ['missing required: url (kind-specific)', ['probes', 'heartbeat', 'url'], undefined],
      ['unknown enum: mode', ['probes', 'disk', 'mode'], 'warn'],
      ['unknown probe kind', ['probes', 'pg', 'kind'], 'icmp', ['probes', 'pg']],
      ['intervalSeconds zero', ['probes', 'disk', 'intervalSeconds'], 0],
      ['bad hostname', ['hostname'], 'Web 01'],
      [
        'nested: control override mode',
        ['probes', 'evidence-nis2', 'controlOverrides', 'access-control', 'mode'],
        'always',
      ],
    ],
  ),
  corpus(
    'probe-payload',
    [
      [
        'evidence with controls',
        {
          schemaVersion: 1,
          hostname: 'web-01',
          bootId: '5f1c1a9e-8c0e-4d0c-9b8e-2a7d5b2f1c3e',
          generationHash: CLOSURE,
          ts: TS,
          rolloutId: RID,
          probe: 'evidence-nis2',
          kind: 'evidence',
          mode: 'enforce',
          status: 'Fail',
          schema: 'nis2-essential/v1',
          controls: [
            {
              controlId: 'nis2.art21.a',
              status: 'Fail',
              framework: 'nis2-essential',
              article: 'art.21.a',
            },
          ],
          output: { collector: 'v1', findings: 3 },
        },
      ],
    ],
    [
      ['wrong type: controls object', ['controls'], {}],
      ['missing required: bootId', ['bootId'], undefined],
      ['unknown enum: status Unknown', ['status'], 'Unknown'],
      ['bad timestamp', ['ts'], '2026-05-16T01:27Z'],
      ['bad rolloutId pattern', ['rolloutId'], 'Stable@main'],
      ['nested: control status', ['controls', 0, 'status'], 'pass'],
    ],
  ),
];
