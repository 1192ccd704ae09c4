// Shared by the conformance corpus sources: the document types, the
// corpus() builder (valid documents, and invalid ones each naming the option
// path its error must be reported at), and fixtures several contracts reuse.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Seg = string | number;
export interface Invalid {
  readonly why: string;
  readonly path: string;
  readonly doc: Json;
}
export interface Corpus {
  readonly contract: string;
  readonly valid: { why: string; doc: Json }[];
  readonly invalid: Invalid[];
}

export const TS = '2026-05-16T01:27:00Z';
export const CLOSURE = '0c5p6k9f1j8m2a7q3x4r5s6d7f8g9h0j-nixos-system-web-01-24.11';
export const CLOSURE2 = '1d6q7l0g2k9n3b8r4y5s6v7f8g9h0j1k-nixos-system-web-01-24.11';
export const RID = 'stable@3f2a9c1d';
export const NONCE = '0123456789abcdef0123456789abcdef';
export const KEY = 'Vh0bFq3cBzbXzkl1tLhdM5Y8IuZqTOLQ6jyMeYRvvEY=';

export function clone<T extends Json>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** A copy of `doc` with the value at `path` replaced (or removed when `value` is undefined). */
export function edit(doc: Json, path: readonly Seg[], value: Json | undefined): Json {
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

export function fmt(path: readonly Seg[]): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s === '' ? '(root)' : s;
}

/** Builds a corpus: `bad` entries are [why, path, value|undefined(=remove), errorPath?]. */
export function corpus(
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

export const meta = {
  schemaVersion: 1,
  signedAt: TS,
  ciCommit: '3f2a9c1d0e4b',
  signatureAlgorithm: 'ed25519',
};
export const nsel = {
  all: false,
  and: [],
  channel: null,
  hosts: [],
  not: null,
  tags: ['canary'],
  tagsAny: [],
};

export const fleetResolved: Json = {
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
      freshnessWindow: 1440,
      signingIntervalMinutes: 60,
      compliance: { frameworks: ['anssi-bp028'], mode: 'enforce' },
    },
  },
  rolloutPolicies: {
    canary: {
      strategy: 'canary',
      waves: [
        {
          selector: nsel,
          soakMinutes: 30,
          minSoaked: 1,
          waitForNeverSeenMinutes: 60,
          allowNoEnforceProbes: false,
        },
        { selector: { ...nsel, tags: [], all: true }, soakMinutes: 0 },
      ],
      healthGate: { systemdFailedUnits: { max: 0 } },
      onHealthFailure: 'rollback-and-halt',
    },
  },
  waves: {
    stable: [
      {
        hosts: ['web-01'],
        soakMinutes: 30,
        minSoaked: 1,
        waitForNeverSeenMinutes: 60,
        allowNoEnforceProbes: false,
      },
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

export const manifest: Json = {
  schemaVersion: 1,
  displayName: 'stable@3f2a9c1',
  channel: 'stable',
  channelRef: '3f2a9c1d',
  fleetResolvedHash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  hostSet: [
    { hostname: 'db-01', waveIndex: 1, targetClosure: CLOSURE2 },
    { hostname: 'web-01', waveIndex: 0, targetClosure: CLOSURE },
  ],
  // The second wave omits the evidence knobs: absent keys verify and read as
  // the fail-closed defaults.
  waves: [
    { soakMinutes: 30, minSoaked: 2, waitForNeverSeenMinutes: null, allowNoEnforceProbes: true },
    { soakMinutes: 0 },
  ],
  healthGate: {},
  onHealthFailure: 'rollback-and-halt',
  freshnessWindow: 1440,
  complianceFrameworks: [],
  disruptionBudgets: [{ selector: nsel, hosts: ['web-01'], maxInFlight: 1, maxInFlightPct: null }],
  meta,
};

export const slot = {
  current: { algorithm: 'ed25519', public: KEY },
  previous: null,
  rejectBefore: null,
  successor: null,
  retireAt: null,
};

export const ev = (kind: string, fields: Record<string, Json>): Json => ({
  kind,
  rollout_id: RID,
  hostname: 'web-01',
  seq: 3,
  ...fields,
});
