// Per-artifact health of the artifact poller: what `/healthz` reports and
// the alert metric shows. A failed verification raises the alert (error log
// naming the artifact and its path, `nixfleet_cp_artifact_alert`, failure
// counter) and keeps the last verified artifact; a verified one clears it.
import type { RollbackRefusal } from '../../trust/index.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { CpMetrics } from '../metrics.ts';
import type { ArtifactHealth, ArtifactName } from '../runtime/artifacts.ts';

const NAMES: readonly ArtifactName[] = [
  'fleet.resolved',
  'rollout-manifest',
  'revocations',
  'bootstrap-nonces',
];

function freshHealth(): ArtifactHealth {
  return { ok: true, present: false, lastVerifiedAt: null, signedAt: null, lastError: null };
}

/** The health record of every artifact, and the alert that goes with it. */
export class HealthBook {
  readonly health: Record<ArtifactName, ArtifactHealth> = Object.fromEntries(
    NAMES.map((n) => [n, freshHealth()]),
  ) as Record<ArtifactName, ArtifactHealth>;

  constructor(
    private readonly o: {
      readonly clock: Clock;
      readonly log: Logger;
      readonly metrics: CpMetrics;
    },
  ) {}

  /** True when any artifact's latest verification failed. */
  alerting(): boolean {
    return NAMES.some((n) => !this.health[n].ok);
  }

  /** Records a failed verification: alert raised, the last verified artifact kept. */
  fail(
    name: ArtifactName,
    code: string,
    message: string,
    path: string,
    rollback?: RollbackRefusal,
  ): void {
    const at = this.o.clock.now();
    const h = this.health[name];
    h.ok = false;
    h.lastError = { code, message, at, path };
    if (rollback !== undefined) {
      h.lastError.rollback = {
        channel: rollback.channel.startsWith('@') ? null : rollback.channel,
        refusedSignedAt: rollback.refused.signedAt,
        adoptedSignedAt: rollback.adopted.signedAt,
      };
    }
    this.o.metrics.artifactFailures.inc({ artifact: name, code });
    this.o.metrics.artifactAlert.set(1, { artifact: name });
    this.o.log.error(
      { artifact: name, path, code, reason: message, alert: 'ArtifactVerificationFailed' },
      'artifact verification failed; keeping the last verified snapshot',
    );
  }

  /** Records a verified artifact: alert cleared. */
  succeed(name: ArtifactName, signedAt: string): void {
    const h = this.health[name];
    const now = this.o.clock.now();
    h.ok = true;
    h.present = true;
    h.lastVerifiedAt = now;
    h.signedAt = signedAt;
    h.lastError = null;
    this.o.metrics.artifactVerifiedAt.set(now / 1000, { artifact: name });
    this.o.metrics.artifactAlert.set(0, { artifact: name });
  }
}
