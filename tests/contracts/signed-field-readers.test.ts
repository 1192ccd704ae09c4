// No signed field is ignored: every field of the signed fleet.resolved and
// rollout-manifest schemas is accounted for in READERS below, and every
// entry names a file of this project that actually references the field.
// Adding a field to either contract without a reader (or a reasoned audit
// entry) fails this test, and so does an entry for a field that no longer
// exists.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');

type Schema = {
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  $defs?: Record<string, Schema>;
};

/**
 * How a signed field is consumed:
 * - `read`: `file` (a consumer of the signed artifact: CP, agent, CLI, core,
 *   trust, or the release reading a previous release) references `token`;
 * - `via`: the release projects it into another signed field (`to`, which
 *   must be `read`); `file` is the projection and references `token`;
 * - `audit`: recorded so an auditor can re-derive a signed value (`derives`,
 *   which must be `read` or `via`) or an operator annotation; `file`
 *   references `token`. Every audit entry says why no consumer needs it.
 */
type Entry =
  | { readonly read: string; readonly token: string }
  | { readonly via: string; readonly to: string; readonly token: string }
  | {
      readonly audit: string;
      readonly token: string;
      readonly derives: string | null;
      readonly why: string;
    };

/** A selector is one value to its readers: they must reference every key. */
const UNITS = new Set(['NormalizedSelector']);

/**
 * Compared whole: the agent runs its closure's health-checks.json only when
 * each probe equals the signed one field for field (core/host/probe-declaration.ts,
 * structural equality), so every key of a signed probe is read by that
 * comparison and then by the runner of the equal local probe.
 */
const WHOLE = new Set([
  'HttpProbeResolved',
  'TcpProbeResolved',
  'ExecProbeResolved',
  'EvidenceProbeResolved',
]);

const R = (read: string, token: string): Entry => ({ read, token });
const V = (to: string, token: string): Entry => ({ via: 'ts/cli/release/project.ts', to, token });
const A = (audit: string, token: string, derives: string | null, why: string): Entry => ({
  audit,
  token,
  derives,
  why,
});

const VERIFY = 'ts/trust/verify-signed.ts';
const VIEWS = 'ts/cp/routes/views.ts';
const PROJECT = 'ts/cli/release/project.ts';
const HG = 'ts/agent/probes/health-gate.ts';
const SEL = 'ts/core/selectors.ts';
const M = 'rollout-manifest:';
const IRR = 'ts/core/irrevocable.ts';
const IRR_RELEASE = 'ts/cli/release/irrevocable.ts';
const VERIFY_OUT = 'ts/cli/commands/verify-output.ts';
const AUDIT_ACCEPT = (token: string): Entry =>
  A(
    VERIFY_OUT,
    token,
    null,
    'audit record of an accepted irrevocable change (who, when, which values); the agent matches host, name and newSha256 only',
  );

const meta = {
  '.meta': R(VERIFY, 'meta'),
  '.meta.schemaVersion': R(VERIFY, 'schemaVersion'),
  '.meta.signedAt': R(VERIFY, 'signedAt'),
  '.meta.signatureAlgorithm': R(VERIFY, 'signatureAlgorithm'),
  '.meta.ciCommit': R(VIEWS, 'ciCommit'),
};

// The static compliance gate's record (docs/compliance.md): what the release
// checked, for auditors. No consumer gates on it: an enforce-mode failure
// refuses the release before anything is signed.
const GATE = 'lib/compliance/gate.nix';
const AUDIT_ONLY =
  'static compliance record for auditors; enforce failures never reach a signed artifact';
const complianceRecord = {
  '.complianceFindings': A('lib/mk-fleet.nix', 'complianceFindings', null, AUDIT_ONLY),
  '.complianceFindings.*.passed': A(GATE, 'passed', null, AUDIT_ONLY),
  '.complianceFindings.*.failed': A(GATE, 'failed', null, AUDIT_ONLY),
  '.complianceFindings.*.failed.*.mode': A(GATE, 'mode', null, AUDIT_ONLY),
  '.complianceFindings.*.failed.*.frameworks': A(GATE, 'frameworks', null, AUDIT_ONLY),
  '.complianceFindings.*.failed.*.evidence': A(GATE, 'evidence', null, AUDIT_ONLY),
  '.complianceFindings.*.failed.*.reason': A(
    GATE,
    'reason',
    null,
    'operator annotation of the exception',
  ),
  '.complianceFindings.*.disabled': A(GATE, 'disabled', null, AUDIT_ONLY),
  '.complianceFindings.*.disabled.*.frameworks': A(GATE, 'frameworks', null, AUDIT_ONLY),
  '.complianceFindings.*.disabled.*.reason': A(
    GATE,
    'reason',
    null,
    'operator annotation of the exception',
  ),
};

export const READERS: Record<string, Record<string, Entry>> = {
  'fleet-resolved': {
    '.schemaVersion': R(VERIFY, 'schemaVersion'),
    ...meta,
    '.hosts': R(VIEWS, 'hosts'),
    '.hosts.*.channel': R(VIEWS, 'channel'),
    '.hosts.*.tags': R(VIEWS, 'tags'),
    '.hosts.*.closureHash': R('ts/cp/workers/signed-pair.ts', 'closureHash'),
    '.hosts.*.pubkey': R('ts/cp/routes/enroll.ts', 'pubkey'),
    '.hosts.*.system': A(
      'lib/release/eval.nix',
      'toplevel',
      '.hosts.*.closureHash',
      'the platform the signed closure was built for',
    ),
    '.hosts.*.pin': R(VIEWS, 'pin'),
    '.hosts.*.irrevocable': R(IRR_RELEASE, 'irrevocable'),
    '.hosts.*.irrevocable.*.sha256': R(IRR, 'sha256'),
    '.hosts.*.irrevocable.*.value': R(IRR, 'value'),
    '.hosts.*.irrevocable.*.sensitive': R(IRR, 'sensitive'),
    '.irrevocableAcceptances': R(IRR_RELEASE, 'irrevocableAcceptances'),
    '.irrevocableAcceptances[].host': R(IRR, 'host'),
    '.irrevocableAcceptances[].name': R(IRR, 'name'),
    '.irrevocableAcceptances[].newSha256': R(IRR, 'newSha256'),
    '.irrevocableAcceptances[].oldSha256': R(VERIFY_OUT, 'oldSha256'),
    '.irrevocableAcceptances[].oldValue': R(VERIFY_OUT, 'oldValue'),
    '.irrevocableAcceptances[].newValue': R(VERIFY_OUT, 'newValue'),
    '.irrevocableAcceptances[].acceptedBy': R(VERIFY_OUT, 'acceptedBy'),
    '.irrevocableAcceptances[].ciCommit': R(VERIFY_OUT, 'ciCommit'),
    '.irrevocableAcceptances[].acceptedAt': R(VERIFY_OUT, 'acceptedAt'),
    '.hosts.*.pin.commit': R('ts/cli/status/labels.ts', 'commit'),
    '.hosts.*.pin.expiresAt': R(PROJECT, 'expiresAt'),
    '.hosts.*.pin.reason': A(VIEWS, 'pin', null, 'operator annotation served with the pin'),
    '.channels': R('ts/cp/runtime/reconcile.ts', 'channels'),
    '.channels.*.rolloutPolicy': R(PROJECT, 'rolloutPolicy'),
    '.channels.*.freshnessWindow': V(`${M}.freshnessWindow`, 'freshnessWindow'),
    '.channels.*.signingIntervalMinutes': R(PROJECT, 'signingIntervalMinutes'),
    '.channels.*.compliance': A(
      'lib/mk-fleet/probes.nix',
      'compliance',
      '.hosts.*.closureHash',
      'evidence probes are rendered into each closure (health-checks.json)',
    ),
    '.channels.*.compliance.frameworks': A(
      'lib/mk-fleet/probes.nix',
      'frameworks',
      '.hosts.*.closureHash',
      'evidence probes are rendered into each closure (health-checks.json)',
    ),
    '.channels.*.compliance.mode': A(
      'lib/mk-fleet/probes.nix',
      'mode',
      '.hosts.*.closureHash',
      'evidence-probe modes are rendered into each closure (health-checks.json)',
    ),
    ...complianceRecord,
    '.rolloutPolicies': R(PROJECT, 'rolloutPolicies'),
    '.rolloutPolicies.*.strategy': A(
      'lib/mk-fleet.nix',
      'strategy',
      '.waves',
      'names the shape the waves were resolved from',
    ),
    '.rolloutPolicies.*.waves': A(
      'lib/mk-fleet/waves.nix',
      'waves',
      '.waves',
      'resolved into waves',
    ),
    '.rolloutPolicies.*.waves[].selector': A(
      'lib/mk-fleet/waves.nix',
      'selector',
      '.waves.*[].hosts',
      'the selector each wave was resolved from',
    ),
    '.rolloutPolicies.*.waves[].soakMinutes': A(
      'lib/mk-fleet/waves.nix',
      'soakMinutes',
      '.waves.*[].soakMinutes',
      'copied into the resolved waves',
    ),
    '.rolloutPolicies.*.waves[].minSoaked': A(
      'lib/mk-fleet/waves.nix',
      'minSoaked',
      '.waves.*[].minSoaked',
      'copied into the resolved waves',
    ),
    '.rolloutPolicies.*.waves[].waitForNeverSeenMinutes': A(
      'lib/mk-fleet/waves.nix',
      'waitForNeverSeenMinutes',
      '.waves.*[].waitForNeverSeenMinutes',
      'copied into the resolved waves',
    ),
    '.rolloutPolicies.*.waves[].allowNoEnforceProbes': A(
      'lib/mk-fleet/waves.nix',
      'allowNoEnforceProbes',
      '.waves.*[].allowNoEnforceProbes',
      'copied into the resolved waves',
    ),
    '.rolloutPolicies.*.waves[].approval': A(
      'lib/mk-fleet/waves.nix',
      'approval',
      '.waves.*[].approval',
      'copied into the resolved waves',
    ),
    '.rolloutPolicies.*.operatorClear': V(`${M}.operatorClear`, 'operatorClear'),
    '.rolloutPolicies.*.healthGate': V(`${M}.healthGate`, 'healthGate'),
    '.rolloutPolicies.*.healthGate.systemdFailedUnits': V(`${M}.healthGate`, 'healthGate'),
    '.rolloutPolicies.*.healthGate.systemdFailedUnits.max': V(`${M}.healthGate`, 'healthGate'),
    '.rolloutPolicies.*.onHealthFailure': V(`${M}.onHealthFailure`, 'onHealthFailure'),
    '.waves': R('ts/cp/workers/signed-pair.ts', 'waves'),
    '.waves.*[].hosts': V(`${M}.hostSet`, 'hosts'),
    '.waves.*[].soakMinutes': V(`${M}.waves[].soakMinutes`, 'soakMinutes'),
    '.waves.*[].minSoaked': V(`${M}.waves[].minSoaked`, 'minSoaked'),
    '.waves.*[].waitForNeverSeenMinutes': V(
      `${M}.waves[].waitForNeverSeenMinutes`,
      'waitForNeverSeenMinutes',
    ),
    '.waves.*[].allowNoEnforceProbes': V(
      `${M}.waves[].allowNoEnforceProbes`,
      'allowNoEnforceProbes',
    ),
    '.waves.*[].approval': V(`${M}.waves[].approval`, 'approval'),
    '.operators': R('ts/core/rollout/operator.ts', 'operators'),
    '.operators.*.role': R('ts/core/rollout/operator.ts', 'role'),
    '.edges': R('ts/core/gates/host-edges.ts', 'edges'),
    '.edges[].before': R('ts/core/gates/host-edges.ts', 'before'),
    '.edges[].after': R('ts/core/gates/host-edges.ts', 'after'),
    '.edges[].reason': A('lib/mk-fleet.nix', 'reason', null, 'operator annotation of the edge'),
    '.channelEdges': R('ts/core/gates/channel-edges.ts', 'channelEdges'),
    '.channelEdges[].before': R('ts/core/gates/channel-edges.ts', 'before'),
    '.channelEdges[].after': R('ts/core/gates/channel-edges.ts', 'after'),
    '.channelEdges[].reason': R('ts/core/gates/channel-edges.ts', 'reason'),
    '.disruptionBudgets': V(`${M}.disruptionBudgets`, 'disruptionBudgets'),
    '.disruptionBudgets[].selector': V(`${M}.disruptionBudgets[].selector`, 'selector'),
    '.disruptionBudgets[].maxInFlight': V(`${M}.disruptionBudgets[].maxInFlight`, 'maxInFlight'),
    '.disruptionBudgets[].maxInFlightPct': V(
      `${M}.disruptionBudgets[].maxInFlightPct`,
      'maxInFlightPct',
    ),
  },
  'rollout-manifest': {
    '.schemaVersion': R(VERIFY, 'schemaVersion'),
    ...meta,
    '.displayName': R(VIEWS, 'displayName'),
    '.channel': R('ts/trust/verify-artifacts.ts', 'channel'),
    '.channelRef': R('ts/trust/verify-artifacts.ts', 'channelRef'),
    '.fleetResolvedHash': R('ts/trust/verify-artifacts.ts', 'fleetResolvedHash'),
    '.hostSet': R('ts/agent/manifest/verify-dispatch.ts', 'hostSet'),
    '.hostSet[].hostname': R('ts/agent/manifest/verify-dispatch.ts', 'hostname'),
    '.hostSet[].targetClosure': R('ts/agent/manifest/verify-dispatch.ts', 'targetClosure'),
    '.hostSet[].waveIndex': R('ts/agent/manifest/verify-dispatch.ts', 'waveIndex'),
    '.waves': R('ts/core/planner/rollout-plan.ts', 'waves'),
    '.waves[].soakMinutes': R('ts/core/planner/rollout-plan.ts', 'soakMinutes'),
    '.hostSet[].probes': R('ts/agent/probes/declaration.ts', 'probes'),
    '.hostSet[].irrevocable': R('ts/agent/manifest/verify-dispatch.ts', 'irrevocable'),
    '.hostSet[].irrevocable.*.sha256': R(IRR, 'sha256'),
    '.hostSet[].irrevocable.*.value': R(IRR, 'value'),
    '.hostSet[].irrevocable.*.sensitive': R(IRR, 'sensitive'),
    '.hostSet[].irrevocableAcceptances': R(
      'ts/agent/manifest/verify-dispatch.ts',
      'irrevocableAcceptances',
    ),
    '.hostSet[].irrevocableAcceptances[].host': R(IRR, 'host'),
    '.hostSet[].irrevocableAcceptances[].name': R(IRR, 'name'),
    '.hostSet[].irrevocableAcceptances[].newSha256': R(IRR, 'newSha256'),
    '.hostSet[].irrevocableAcceptances[].oldSha256': AUDIT_ACCEPT('oldSha256'),
    '.hostSet[].irrevocableAcceptances[].oldValue': AUDIT_ACCEPT('oldValue'),
    '.hostSet[].irrevocableAcceptances[].newValue': AUDIT_ACCEPT('newValue'),
    '.hostSet[].irrevocableAcceptances[].acceptedBy': AUDIT_ACCEPT('acceptedBy'),
    '.hostSet[].irrevocableAcceptances[].ciCommit': AUDIT_ACCEPT('ciCommit'),
    '.hostSet[].irrevocableAcceptances[].acceptedAt': AUDIT_ACCEPT('acceptedAt'),
    '.waves[].minSoaked': R('ts/core/gates/wave-promotion.ts', 'minSoaked'),
    '.waves[].waitForNeverSeenMinutes': R(
      'ts/core/gates/wave-promotion.ts',
      'waitForNeverSeenMinutes',
    ),
    '.waves[].allowNoEnforceProbes': R('ts/core/gates/wave-promotion.ts', 'allowNoEnforceProbes'),
    '.waves[].approval': R('ts/core/rollout/operator.ts', 'approval'),
    '.operatorClear': R('ts/core/rollout/operator.ts', 'operatorClear'),
    '.healthGate': R(HG, 'healthGate'),
    '.healthGate.systemdFailedUnits': R(HG, 'systemdFailedUnits'),
    '.healthGate.systemdFailedUnits.max': R(HG, 'max'),
    '.onHealthFailure': R('ts/agent/workers/dispatch.ts', 'onHealthFailure'),
    '.freshnessWindow': R('ts/agent/manifest/verify-dispatch.ts', 'freshnessWindow'),
    '.complianceFrameworks': A(
      'lib/mk-fleet/probes.nix',
      'frameworks',
      '.hostSet[].targetClosure',
      'the frameworks whose evidence probes are rendered into each target closure',
    ),
    '.disruptionBudgets': R('ts/core/gates/disruption-budget.ts', 'disruptionBudgets'),
    '.disruptionBudgets[].hosts': R('ts/core/gates/disruption-budget.ts', 'hosts'),
    '.disruptionBudgets[].maxInFlight': R('ts/core/gates/disruption-budget.ts', 'maxInFlight'),
    '.disruptionBudgets[].maxInFlightPct': R(
      'ts/core/gates/disruption-budget.ts',
      'maxInFlightPct',
    ),
    '.disruptionBudgets[].selector': R(SEL, 'selectorLabel'),
  },
};

/** Every field path of a JSON Schema (`.a.*.b[]`), selectors collapsed to one path. */
export function schemaPaths(root: Schema): { paths: string[]; units: Map<string, string[]> } {
  const defs = root.$defs ?? {};
  const paths = new Set<string>();
  const units = new Map<string, string[]>();
  const walk = (s: Schema, p: string, seen: ReadonlySet<string>): void => {
    if (s.$ref) {
      const name = s.$ref.split('/').pop()!;
      const def = defs[name]!;
      if (UNITS.has(name)) {
        units.set(p, Object.keys(def.properties ?? {}));
        return;
      }
      if (WHOLE.has(name) || seen.has(name)) return;
      walk(def, p, new Set([...seen, name]));
      return;
    }
    for (const alt of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) {
      walk(alt, p, seen);
    }
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      paths.add(`${p}.${k}`);
      walk(v, `${p}.${k}`, seen);
    }
    if (s.items) walk(s.items, `${p}[]`, seen);
    if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${p}.*`, seen);
  };
  walk(root, '', new Set());
  return { paths: [...paths].sort(), units };
}

const references = (file: string, token: string): boolean =>
  existsSync(join(ROOT, file)) &&
  new RegExp(`\\b${token}\\b`).test(readFileSync(join(ROOT, file), 'utf8'));

const schemaOf = (name: string): Schema =>
  JSON.parse(readFileSync(join(ROOT, 'schemas', `${name}.schema.json`), 'utf8')) as Schema;

describe('every signed field has a reader', () => {
  for (const [contract, table] of Object.entries(READERS)) {
    const { paths, units } = schemaPaths(schemaOf(contract));

    it(`${contract}: every schema field has an entry, and every entry a field`, () => {
      expect(paths.filter((p) => !(p in table))).toEqual([]);
      expect(Object.keys(table).filter((p) => !paths.includes(p))).toEqual([]);
    });

    it(`${contract}: each entry's file references its field`, () => {
      const broken = Object.entries(table)
        .filter(
          ([, e]) => !references('read' in e ? e.read : 'via' in e ? e.via : e.audit, e.token),
        )
        .map(([p, e]) => `${p}: ${JSON.stringify(e)}`);
      expect(broken).toEqual([]);
    });

    it(`${contract}: projections and audit records lead to a read field`, () => {
      const target = (ref: string): Entry | undefined => {
        const [c, p] = ref.includes(':') ? ref.split(':') : [contract, ref];
        return READERS[c!]?.[p!];
      };
      const dangling = Object.entries(table).flatMap(([p, e]) => {
        const to = 'via' in e ? e.to : 'audit' in e ? e.derives : null;
        if (to === null) return [];
        const t = target(to);
        const ok = t !== undefined && ('read' in t || ('via' in t && 'audit' in e));
        return ok ? [] : [`${p} -> ${to}`];
      });
      expect(dangling).toEqual([]);
    });

    it(`${contract}: selector readers reference every selector key`, () => {
      const missing = [...units].flatMap(([p, keys]) => {
        const e = table[p];
        if (!e || !('read' in e)) return [];
        return keys.filter((k) => !references(e.read, k)).map((k) => `${p}.${k}`);
      });
      expect(missing).toEqual([]);
    });
  }

  it('fails for a field without an entry (the walk sees new fields)', () => {
    const s = schemaOf('rollout-manifest');
    s.properties = { ...s.properties, unreadKnob: { type: 'integer' } as Schema };
    const { paths } = schemaPaths(s);
    expect(paths.filter((p) => !(p in READERS['rollout-manifest']!))).toEqual(['.unreadKnob']);
  });
});
