// The end of a scenario run: each invariant it declares, judged from the
// CP's own event log, the signed manifests, the release directory and the
// hosts' disks (checks in event-log.ts, invariants.ts, secrets.ts). Returns
// every violation; the runner fails the scenario on any.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HarnessScenario } from '../contracts/index.ts';
import { checkAuditVerifies } from './audit-verifies.ts';
import { checkNoQuarantinedDispatch, checkWavesInOrder } from './event-log.ts';
import { checkBudgetsRespected, checkSignedRoundtrip, type CpAccess } from './invariants.ts';
import { checkHostAddWithin, type HostAddMeasure } from './host-add-measure.ts';
import { checkAckedEventsLogged, readAckedEvents } from './acked-events.ts';
import { checkLeaderTakeover, type TakeoverMeasure } from './replicas.ts';
import type { Observer } from './observe.ts';
import type { Published } from './publish.ts';
import { activationTokens, checkSecretsConfined, type HostSecret } from './secrets.ts';

type Invariant = NonNullable<HarnessScenario['invariants']>[number];

/** What the invariants read at the end of a run. */
export interface InvariantInputs {
  readonly observer: Observer;
  readonly secrets: readonly HostSecret[];
  /** The scenario and its hosts (secretsConfined scans the tokens switches create). */
  readonly scenario: HarnessScenario;
  readonly hosts: readonly string[];
  readonly workDir: string;
  readonly releaseDir: string;
  /** The last generation released (signedRoundtrip audits its rollouts). */
  readonly release: Published | undefined;
  /** Every generation released, in order (auditVerifies exports their rollouts' events). */
  readonly published: readonly Published[];
  readonly trustFile: string;
  readonly cp: CpAccess;
  /** What the run's hostAdd steps measured (hostAddWithin). */
  readonly hostAdds?: readonly HostAddMeasure[];
  /** What the run's killLeader faults measured (leaderTakeover). */
  readonly takeovers?: readonly TakeoverMeasure[];
  readonly note: (line: string) => void;
}

/** The violations of the invariants `names`, in order; empty when all hold. */
export async function checkInvariants(
  names: readonly Invariant[],
  c: InvariantInputs,
): Promise<string[]> {
  const events = await c.observer.latestEvents();
  const violations: string[] = [];
  for (const inv of names) {
    if (inv === 'wavesInOrder') {
      for (const [id, m] of c.observer.manifests())
        violations.push(...checkWavesInOrder(events, m, id));
    }
    if (inv === 'secretsConfined') {
      const tokens = activationTokens(c.scenario, c.hosts, c.workDir);
      const scan = checkSecretsConfined([...c.secrets, ...tokens.secrets], c.workDir);
      scan.violations.push(...tokens.violations);
      violations.push(...scan.violations);
      c.note(
        `secretsConfined: scanned ${scan.filesScanned} files (${(scan.bytesScanned / 1e6).toFixed(1)} MB, NARs decompressed), ${scan.violations.length} violation(s)`,
      );
    }
    if (inv === 'noQuarantinedDispatch') {
      // A rollout that reverted must not have dispatched its later waves.
      for (const [id, m] of c.observer.manifests())
        violations.push(...checkNoQuarantinedDispatch(events, m, id));
    }
    if (inv === 'budgetsRespected')
      violations.push(
        ...checkBudgetsRespected(
          events,
          JSON.parse(readFileSync(join(c.releaseDir, 'fleet.resolved.json'), 'utf8')),
        ),
      );
    if (inv === 'signedRoundtrip')
      violations.push(
        ...(await checkSignedRoundtrip({
          events,
          release: c.release,
          releaseDir: c.releaseDir,
          trustFile: c.trustFile,
          hostStateDir: (h) => join(c.workDir, 'hosts', h),
          auditDir: join(c.workDir, 'audit'),
          cp: c.cp,
        })),
      );
    if (inv === 'auditVerifies')
      violations.push(
        ...(await checkAuditVerifies({
          workDir: c.workDir,
          trustFile: c.trustFile,
          published: c.published,
          cp: c.cp,
          note: c.note,
        })),
      );
    if (inv === 'hostAddWithin') violations.push(...checkHostAddWithin(c.hostAdds ?? []));
    if (inv === 'leaderTakeover')
      violations.push(...checkLeaderTakeover(c.takeovers ?? [], c.hosts));
    if (inv === 'ackedEventsLogged') {
      const acked = readAckedEvents(c.hosts, (h) => join(c.workDir, 'hosts', h));
      const missing = checkAckedEventsLogged(acked, events);
      c.note(
        `ackedEventsLogged: ${acked.length} acknowledged agent events, ${missing.length} missing from the event log`,
      );
      violations.push(...missing);
    }
  }
  return violations;
}
