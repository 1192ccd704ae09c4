// Writes the contract conformance corpus: tests/contracts/corpus/<name>.json,
// one file per contract with valid documents and invalid ones (each invalid
// document names the option path its error must be reported at, by the Nix
// validator and by ajv alike). Run once after changing a contract:
//   npx tsx tests/contracts/make-corpus.ts
// The conformance test reads the committed files; it never regenerates them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Seg = string | number;
interface Invalid {
  readonly why: string;
  readonly path: string;
  readonly doc: Json;
}
interface Corpus {
  readonly contract: string;
  readonly valid: { why: string; doc: Json }[];
  readonly invalid: Invalid[];
}

const TS = '2026-05-16T01:27:00Z';
const CLOSURE = '0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11';
const CLOSURE2 = '1d6q7l0g2k9n3b8r4y5s6v7f8g9h0j1k-nixos-system-web-01-24.11';
const RID = 'stable@3f2a9c1d';
const NONCE = '0123456789abcdef0123456789abcdef';
const KEY = 'Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=';

function clone<T extends Json>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** A copy of `doc` with the value at `path` replaced (or removed when `value` is undefined). */
function edit(doc: Json, path: readonly Seg[], value: Json | undefined): Json {
  const out = clone(doc);
  let cur = out as Record<string, Json> | Json[];
  for (const seg of path.slice(0, -1))
    cur = (cur as Record<string, Json>)[seg as string] as Record<string, Json>;
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(cur)) cur.splice(last as number, 1);
    else delete cur[last as string];
  } else (cur as Record<string, Json>)[last as string] = value;
  return out;
}

function fmt(path: readonly Seg[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s === '' ? '(root)' : s;
}

/** Builds a corpus: `bad` entries are [why, path, value|undefined(=remove), errorPath?]. */
function corpus(
  contract: string,
  valid: [string, Json][],
  bad: [string, Seg[], Json | undefined, Seg[]?][],
): Corpus {
  const base = valid[0]![1];
  return {
    contract,
    valid: valid.map(([why, doc]) => ({ why, doc })),
    invalid: bad.map(([why, path, value, errPath]) => ({
      why,
      path: fmt(errPath ?? path),
      doc: edit(base, path, value),
    })),
  };
}

const meta = {
  schemaVersion: 1,
  signedAt: TS,
  ciCommit: '3f2a9c1d0e4b',
  signatureAlgorithm: 'ed25519',
};
const nsel = {
  all: false,
  and: [],
  channel: null,
  hosts: [],
  not: null,
  tags: ['canary'],
  tagsAny: [],
};

const fleetResolved: Json = {
  schemaVersion: 1,
  hosts: {
    'web-01': {
      system: 'x86_64-linux',
      tags: ['web', 'canary'],
      channel: 'stable',
      closureHash: CLOSURE,
      pubkey: null,
    },
    'db-01': {
      system: 'x86_64-linux',
      tags: ['db'],
      channel: 'stable',
      closureHash: null,
      pubkey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC2 root@db-01',
      pin: { commit: '3f2a9c1d', reason: 'kernel regression', expiresAt: null },
    },
  },
  channels: {
    stable: {
      rolloutPolicy: 'canary',
      reconcileIntervalMinutes: 30,
      freshnessWindow: 1440,
      signingIntervalMinutes: 60,
      compliance: { frameworks: ['anssi-bp028'], mode: 'enforce' },
    },
  },
  rolloutPolicies: {
    canary: {
      strategy: 'canary',
      waves: [
        { selector: nsel, soakMinutes: 30 },
        { selector: { ...nsel, tags: [], all: true }, soakMinutes: 0 },
      ],
      healthGate: {},
      onHealthFailure: 'rollback-and-halt',
    },
  },
  waves: {
    stable: [
      { hosts: ['web-01'], soakMinutes: 30 },
      { hosts: ['db-01'], soakMinutes: 0 },
    ],
  },
  edges: [{ before: 'db-01', after: 'web-01', reason: null }],
  channelEdges: [],
  disruptionBudgets: [
    { selector: { ...nsel, tags: ['db'] }, maxInFlight: 1, maxInFlightPct: null },
  ],
  meta,
};

const manifest: Json = {
  schemaVersion: 1,
  displayName: 'stable@3f2a9c1',
  channel: 'stable',
  channelRef: '3f2a9c1d',
  fleetResolvedHash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  hostSet: [
    { hostname: 'db-01', waveIndex: 1, targetClosure: CLOSURE2 },
    { hostname: 'web-01', waveIndex: 0, targetClosure: CLOSURE },
  ],
  waves: [{ soakMinutes: 30 }, { soakMinutes: 0 }],
  healthGate: {},
  onHealthFailure: 'rollback-and-halt',
  freshnessWindow: 1440,
  complianceFrameworks: [],
  disruptionBudgets: [{ selector: nsel, hosts: ['web-01'], maxInFlight: 1, maxInFlightPct: null }],
  meta,
};

const slot = {
  current: { algorithm: 'ed25519', public: KEY },
  previous: null,
  rejectBefore: null,
  successor: null,
  retireAt: null,
};

const ev = (kind: string, fields: Record<string, Json>): Json => ({
  kind,
  rollout_id: RID,
  hostname: 'web-01',
  seq: 3,
  ...fields,
});

const corpora: Corpus[] = [
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
    ],
    [
      ['wrong type: tags is a string', ['hosts', 'web-01', 'tags'], 'web'],
      ['missing required: channels', ['channels'], undefined],
      ['unknown enum: onHealthFailure', ['rolloutPolicies', 'canary', 'onHealthFailure'], 'retry'],
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
      ['float where integer', ['channels', 'stable', 'freshnessWindow'], 1440.5],
    ],
  ),
  corpus(
    'rollout-manifest',
    [
      ['two waves, one budget', manifest],
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
    ],
    [
      ['wrong type: port string', ['probes', 'pg', 'port'], '5432'],
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
    ],
    [
      ['wrong type: seq string', ['seq'], '3'],
      ['missing required: received_at', ['received_at'], undefined],
      ['unknown event kind', ['kind'], 'Rollback', ['kind']],
      ['bad timestamp', ['received_at'], '1715822820'],
      ['bad rollout id', ['rollout_id'], 'stable'],
      ['seq zero', ['seq'], 0],
      ['nested: closure not a store basename', ['current_closure_at_dispatch'], '/nix/store/abc'],
    ],
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
              waves: [
                { selector: { tags: ['canary'] }, soakMinutes: 30 },
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
        },
      ],
      ['empty fleet', {}],
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
      [
        'nested selector: not is a list',
        ['rolloutPolicies', 'canary', 'waves', 1, 'selector', 'and', 1, 'not'],
        [],
      ],
      ['probe interval zero', ['healthChecks', 'heartbeat', 'intervalSeconds'], 0],
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
corpora.push(
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
    ],
    [
      ['wrong type: reachable string', ['hosts', 0, 'reachable'], 'yes'],
      ['missing required: pendingReboot', ['hosts', 0, 'pendingReboot'], undefined],
      ['unknown host state', ['hosts', 0, 'state'], 'Healthy'],
      ['bad timestamp: lastSeenAt', ['hosts', 0, 'lastSeenAt'], 'now'],
      ['bad closure pattern', ['hosts', 0, 'currentClosure'], 'abc'],
      ['nested: failing probes not strings', ['hosts', 0, 'failingEnforceProbes'], [1]],
    ],
  ),
  corpus(
    'api-rollouts',
    [
      ['one active rollout', { generatedAt: TS, rollouts: [rolloutRow] }],
      ['none', { generatedAt: TS, rollouts: [] }],
    ],
    [
      ['wrong type: waves object', ['rollouts', 0, 'waves'], {}],
      ['missing required: state', ['rollouts', 0, 'state'], undefined],
      ['unknown rollout state', ['rollouts', 0, 'state'], 'Soaked'],
      ['bad timestamp: openedAt', ['rollouts', 0, 'openedAt'], '2026-05-16'],
      ['nested: negative inFlight', ['rollouts', 0, 'waves', 0, 'inFlight'], -1],
      ['nested: budget limit zero', ['rollouts', 0, 'budgets', 0, 'limit'], 0],
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
        },
      ],
    ],
    [
      ['wrong type: decisions object', ['decisions'], {}],
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
    ],
    [
      ['wrong type: alerts object', ['alerts'], {}],
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
);

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
corpora.push(
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
    ],
    [
      ['wrong type: fast string', ['fast'], 'yes'],
      ['missing required: steps', ['steps'], undefined],
      ['unknown fault kind', ['steps', 2, 'fault', 'kind'], 'reboot'],
      ['bad name pattern', ['name'], 'Smoke Test'],
      [
        'nested: unknown switch behaviour',
        ['generations', 'g1', 'hosts', 'web-01', 'switch'],
        'explode',
      ],
      ['timeout zero', ['steps', 1, 'timeoutSecs'], 0],
      ['unknown invariant', ['invariants'], ['fast']],
      ['unknown key (closed contract)', ['steps', 0, 'relase'], 'g1'],
    ],
  ),
);

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'corpus');
mkdirSync(outDir, { recursive: true });
for (const c of corpora)
  writeFileSync(join(outDir, `${c.contract}.json`), `${JSON.stringify(c, null, 2)}\n`);
console.log(
  `corpus: wrote ${corpora.length} contracts, ${corpora.reduce((n, c) => n + c.valid.length + c.invalid.length, 0)} documents`,
);
