// Artifact poller: fetches the signed release artifacts from the configured
// sources, verifies each with ts/trust (fleet.resolved; rollout manifests
// against the fleetResolvedHash anchor of the verified fleet; revocations;
// bootstrap nonces) and hands a new snapshot to the mutator. A failed
// verification keeps the last verified artifact and raises an alert (error
// log, `nixfleet_cp_artifact_alert` metric, `/healthz` detail). Must never
// adopt bytes that did not verify.
import {
  bytesEqual,
  verifyArtifact,
  verifyBootstrapNonces,
  verifyRevocations,
  verifyRolloutManifest,
  type TrustConfig,
  type VerifyResult,
} from '../../trust/index.ts';
import type { RolloutManifest } from '../../contracts/index.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { CpMetrics } from '../metrics.ts';
import type {
  ArtifactHealth,
  ArtifactName,
  ArtifactSnapshot,
  VerifiedArtifact,
} from '../runtime/artifacts.ts';
import type { ArtifactSource } from './artifact-source.ts';

/** Options of {@link ArtifactPoller}. */
export interface PollerOptions {
  readonly sources: readonly ArtifactSource[];
  readonly trust: TrustConfig | null;
  readonly clock: Clock;
  readonly freshnessMs: number;
  readonly log: Logger;
  readonly metrics: CpMetrics;
  readonly current: () => ArtifactSnapshot;
  /** Installs a changed snapshot (through the mutator). */
  readonly adopt: (snapshot: ArtifactSnapshot) => Promise<void>;
}

const NAMES: readonly ArtifactName[] = [
  'fleet.resolved',
  'rollout-manifest',
  'revocations',
  'bootstrap-nonces',
];

function freshHealth(): ArtifactHealth {
  return { ok: true, present: false, lastVerifiedAt: null, signedAt: null, lastError: null };
}

/** Polls and verifies signed artifacts; keeps per-artifact health. */
export class ArtifactPoller {
  readonly health: Record<ArtifactName, ArtifactHealth> = Object.fromEntries(
    NAMES.map((n) => [n, freshHealth()]),
  ) as Record<ArtifactName, ArtifactHealth>;
  private polling: Promise<void> | null = null;

  constructor(private readonly o: PollerOptions) {}

  /** True when any artifact's latest verification failed. */
  alerting(): boolean {
    return NAMES.some((n) => !this.health[n].ok);
  }

  /** One poll (concurrent calls share the in-flight poll). */
  pollOnce(): Promise<void> {
    if (this.polling === null) {
      this.polling = this.poll().finally(() => {
        this.polling = null;
      });
    }
    return this.polling;
  }

  private async read(rel: string): Promise<Uint8Array | null> {
    let lastError: unknown = null;
    for (const s of this.o.sources) {
      try {
        const b = await s.read(rel);
        if (b !== null) return b;
      } catch (e) {
        lastError = e;
      }
    }
    if (lastError !== null) throw lastError;
    return null;
  }

  private async pair(rel: string): Promise<{ bytes: Uint8Array; sig: Uint8Array } | null> {
    const bytes = await this.read(rel);
    if (bytes === null) return null;
    const sig = await this.read(`${rel}.sig`);
    if (sig === null) throw new Error(`${rel}.sig is missing`);
    return { bytes, sig };
  }

  private fail(name: ArtifactName, code: string, message: string): void {
    const at = this.o.clock.now();
    const h = this.health[name];
    h.ok = false;
    h.lastError = { code, message, at };
    this.o.metrics.artifactFailures.inc({ artifact: name, code });
    this.o.metrics.artifactAlert.set(1, { artifact: name });
    this.o.log.error(
      { artifact: name, code, reason: message, alert: 'ArtifactVerificationFailed' },
      'artifact verification failed; keeping the last verified snapshot',
    );
  }

  private succeed(name: ArtifactName, signedAt: string): void {
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

  /**
   * Fetches and verifies one artifact; returns the new verified artifact, the
   * previous one (unchanged bytes or failure) or null (absent).
   */
  private async one<T>(
    name: ArtifactName,
    rel: string,
    prev: VerifiedArtifact<T> | null,
    verify: (bytes: Uint8Array, sig: Uint8Array) => VerifyResult<T>,
  ): Promise<VerifiedArtifact<T> | null> {
    let got: { bytes: Uint8Array; sig: Uint8Array } | null;
    try {
      got = await this.pair(rel);
    } catch (e) {
      this.fail(name, 'CP_ERR_ARTIFACT_FETCH', (e as Error).message);
      return prev;
    }
    if (got === null) {
      if (prev === null) this.health[name].present = false;
      return prev;
    }
    if (prev !== null && bytesEqual(prev.bytes, got.bytes) && bytesEqual(prev.signature, got.sig)) {
      this.succeed(name, prev.signedAt);
      return prev;
    }
    if (this.o.trust === null) {
      this.fail(name, 'CP_ERR_NO_TRUST', 'no --trust-file: signed artifacts cannot be verified');
      return prev;
    }
    const r = verify(got.bytes, got.sig);
    if (!r.ok) {
      this.fail(name, r.error.code, r.error.message);
      return prev;
    }
    this.succeed(name, r.value.signedAt);
    return {
      value: r.value.value,
      bytes: got.bytes,
      signature: got.sig,
      sha256: r.value.sha256,
      signedAt: r.value.signedAt,
      adoptedAt: this.o.clock.now(),
    };
  }

  private async poll(): Promise<void> {
    const cur = this.o.current();
    const trust = this.o.trust as TrustConfig;
    const opts = () => ({
      trust,
      now: new Date(this.o.clock.now()),
      freshnessWindowSecs: Math.floor(this.o.freshnessMs / 1000),
    });
    const fleet = await this.one('fleet.resolved', 'fleet.resolved.json', cur.fleet, (b, s) =>
      verifyArtifact(b, s, opts()),
    );
    let manifests = cur.manifests;
    if (fleet !== null && fleet.value.meta.ciCommit !== null) {
      const ref = fleet.value.meta.ciCommit;
      const next = new Map(manifests);
      for (const channel of Object.keys(fleet.value.channels).sort()) {
        const id = `${channel}@${ref}`;
        if (next.has(id) || !/^[a-z0-9_-]+@[0-9a-f]+$/.test(id)) continue;
        const m = await this.one<RolloutManifest>(
          'rollout-manifest',
          `rollouts/${id}.json`,
          null,
          (b, s) =>
            verifyRolloutManifest(b, s, {
              ...opts(),
              expectedRolloutId: id,
              fleetResolvedHash: fleet.sha256,
            }),
        );
        if (m !== null) next.set(id, m);
      }
      if (next.size !== manifests.size) manifests = next;
    }
    const revocations = await this.one('revocations', 'revocations.json', cur.revocations, (b, s) =>
      verifyRevocations(b, s, opts()),
    );
    const nonces = await this.one('bootstrap-nonces', 'bootstrap-nonces.json', cur.nonces, (b, s) =>
      verifyBootstrapNonces(b, s, opts()),
    );
    if (
      fleet !== cur.fleet ||
      manifests !== cur.manifests ||
      revocations !== cur.revocations ||
      nonces !== cur.nonces
    ) {
      if (fleet !== cur.fleet && fleet !== null) {
        this.o.log.info(
          {
            ciCommit: fleet.value.meta.ciCommit,
            signedAt: fleet.signedAt,
            hosts: Object.keys(fleet.value.hosts).length,
          },
          'fleet.resolved adopted',
        );
      }
      await this.o.adopt({ fleet, manifests, revocations, nonces });
    }
  }
}
