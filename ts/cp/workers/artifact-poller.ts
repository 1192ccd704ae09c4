// long-file: one poll is one state machine over the poller's memory (the source
// release, the CP's own copy, the restored fleet, the learned marks); its
// steps share that state, the health book and verification live beside it.
// Artifact poller: fetches the signed release artifacts from the configured
// sources, verifies each with ts/trust (fleet.resolved; rollout manifests
// against the fleetResolvedHash anchor of the verified fleet; revocations;
// bootstrap nonces) and hands a new snapshot to the mutator. A failed
// verification keeps the last verified artifact and raises an alert naming
// the artifact and its path (error log, `nixfleet_cp_artifact_alert` metric,
// `/healthz` detail); so does a source with no fleet.resolved at all (a
// mistyped --release-dir), naming the stale release served meanwhile. A
// release is adopted whole: a new fleet.resolved only
// together with every channel manifest it implies, otherwise it is held back
// and the last adopted release stays (docs/control-plane.md, "Artifacts").
// The last adopted release is kept on disk (release-cache.ts) as the fallback
// of a fresh start whose source release cannot be adopted. A release signed
// before what the CP already adopted on one of its channels (the high-water
// marks in storage, and the CP's own copy after a wipe) is refused as a
// rollback (ts/trust/monotonic.ts). Must never adopt bytes that did not
// verify, nor an older release over a newer one.
import {
  bytesEqual,
  checkNotRolledBack,
  fleetMarkCandidates,
  raiseMarks,
  type HighWaterMarks,
  type MarkCandidate,
  type RollbackRefusal,
  type TrustConfig,
} from '../../trust/index.ts';
import type { FleetResolved, RolloutManifest } from '../../contracts/index.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { CpMetrics } from '../metrics.ts';
import {
  sidecarMark,
  type ArtifactHealth,
  type ArtifactName,
  type ArtifactSnapshot,
  type VerifiedArtifact,
} from '../runtime/artifacts.ts';
import { HealthBook } from './artifact-health.ts';
import { describeAbsence, readFirst, type ArtifactSource } from './artifact-source.ts';
import { saveAdopted, type ReleaseCache } from './release-cache.ts';
import { releaseManifests } from './release-manifests.ts';
import {
  fetchVerified,
  readPair,
  verifyPair,
  type Fetched,
  type Read,
  type SignedPair,
  type Verify,
} from './signed-pair.ts';
import type { ArtifactKind, ArtifactValues } from './verify-request.ts';
import { inlineVerifier, type ArtifactVerifier } from './verify-thread.ts';

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
  /** On-disk copy of the last adopted release; null: no fallback (in-memory database). */
  readonly cache?: ReleaseCache | null;
  /** The per-channel high-water marks of adopted releases (storage); absent: none. */
  readonly marks?: () => HighWaterMarks;
  /** Where verifications run (the CP: its verify thread); absent: inline. */
  readonly verifier?: ArtifactVerifier;
}

/** A fleet.resolved and the manifests adopted with it. */
interface Release {
  readonly fleet: VerifiedArtifact<FleetResolved> | null;
  readonly manifests: ReadonlyMap<string, VerifiedArtifact<RolloutManifest>>;
}

/** Polls and verifies signed artifacts; keeps per-artifact health. */
export class ArtifactPoller {
  /** Per-artifact health (`/healthz`, the alert metric). */
  readonly health: Record<ArtifactName, ArtifactHealth>;
  private readonly book: HealthBook;
  private polling: Promise<void> | null = null;
  private restoreTried = false;
  /** The fleet.resolved restored from the CP's copy, while it is the one in use. */
  private restoredFleet: VerifiedArtifact<FleetResolved> | null = null;
  /** The CP's verified release copy, read once at the first poll. */
  private cached: Release | null = null;
  /** Marks of that copy: after a database wipe, the newest release this CP is known to have run. */
  private learned: readonly MarkCandidate[] = [];

  private readonly verifier: ArtifactVerifier | null;

  constructor(private readonly o: PollerOptions) {
    this.book = new HealthBook(o);
    this.health = this.book.health;
    this.verifier = o.verifier ?? (o.trust === null ? null : inlineVerifier(o.trust));
  }

  /**
   * The verifier of one kind of artifact, at this instant. Without trust
   * nothing verifies (verifyPair refuses before calling it).
   */
  private verify<K extends ArtifactKind>(
    kind: K,
    anchor: {
      readonly expectedRolloutId: string;
      readonly fleetResolvedHash: string;
    } | null = null,
  ): Verify<ArtifactValues[K]> {
    return (bytes, sig) => {
      if (this.verifier === null) return Promise.reject(new Error('no trust'));
      return this.verifier.verify({
        kind,
        bytes,
        sig,
        now: this.o.clock.now(),
        freshnessWindowSecs: Math.floor(this.o.freshnessMs / 1000),
        ...(anchor ?? {}),
      });
    };
  }

  /** Ends the verify thread (verifications after this are refused). */
  close(): Promise<void> {
    return this.verifier?.close() ?? Promise.resolve();
  }

  /** True when any artifact's latest verification failed. */
  alerting(): boolean {
    return this.book.alerting();
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

  private absence(
    rel: string,
    serving: VerifiedArtifact<unknown> | null,
  ): Promise<{ code: string; message: string }> {
    return describeAbsence(this.o.sources, rel, {
      serving,
      restored: serving !== null && serving === this.restoredFleet,
    });
  }

  private fetchVerified<T>(rel: string, verify: Verify<T>, read?: Read): Promise<Fetched<T>> {
    return fetchVerified(
      read ?? ((r) => readFirst(this.o.sources, r)),
      rel,
      this.o.trust,
      verify,
      () => this.o.clock.now(),
    );
  }

  /**
   * Fetches and verifies one artifact; returns the new verified artifact, the
   * previous one (unchanged bytes or failure) or null (absent).
   */
  private async one<T>(
    name: ArtifactName,
    rel: string,
    prev: VerifiedArtifact<T> | null,
    verify: Verify<T>,
    options: { readonly required?: boolean } = {},
  ): Promise<VerifiedArtifact<T> | null> {
    let got: SignedPair | null;
    try {
      got = await readPair((r) => readFirst(this.o.sources, r), rel);
    } catch (e) {
      this.book.fail(name, 'CP_ERR_ARTIFACT_FETCH', (e as Error).message, rel);
      return prev;
    }
    if (got === null) {
      this.health[name].present = false;
      if (options.required) {
        const { code, message } = await this.absence(rel, prev as VerifiedArtifact<unknown>);
        this.book.fail(name, code, message, rel);
      }
      return prev;
    }
    if (prev !== null && bytesEqual(prev.bytes, got.bytes) && bytesEqual(prev.signature, got.sig)) {
      this.book.succeed(name, prev.signedAt);
      return prev;
    }
    const r = await verifyPair(got, this.o.trust, verify, this.o.clock.now());
    if (r.kind !== 'ok') {
      if (r.kind === 'error') this.book.fail(name, r.code, r.message, rel);
      return prev;
    }
    this.book.succeed(name, r.artifact.signedAt);
    return r.artifact;
  }

  /**
   * The manifests a fleet implies, added to `known`; `refused` names each
   * one that is missing or does not verify. With `track`, failures raise
   * alerts and a full success clears them.
   */
  private async manifestsOf(
    fleet: VerifiedArtifact<FleetResolved>,
    known: ReadonlyMap<string, VerifiedArtifact<RolloutManifest>>,
    options: { readonly read?: Read; readonly track: boolean },
  ): Promise<{
    manifests: ReadonlyMap<string, VerifiedArtifact<RolloutManifest>>;
    refused: string[];
  }> {
    const r = await releaseManifests(fleet, known, {
      read: options.read ?? ((rel) => readFirst(this.o.sources, rel)),
      trust: this.o.trust,
      verify: (b, sig, anchor) => this.verify('rollout-manifest', anchor)(b, sig),
      now: () => this.o.clock.now(),
    });
    if (options.track) {
      for (const f of r.failures) this.book.fail('rollout-manifest', f.code, f.message, f.rel);
      if (r.failures.length === 0 && r.signedAt !== null) {
        this.book.succeed('rollout-manifest', r.signedAt);
      }
    }
    return { manifests: r.manifests, refused: r.failures.map((f) => `${f.rel} (${f.code})`) };
  }

  /**
   * The source's release: its fleet.resolved with every manifest it implies,
   * or — when a manifest is refused — the current release unchanged (held
   * back, with an alert on fleet.resolved naming what held it).
   */
  private async sourceRelease(cur: ArtifactSnapshot): Promise<{
    release: Release;
    held: string | null;
    rollback: RollbackRefusal | null;
  }> {
    const fleet = await this.one(
      'fleet.resolved',
      'fleet.resolved.json',
      cur.fleet,
      this.verify('fleet.resolved'),
      { required: true },
    );
    const unchanged = { release: { fleet, manifests: cur.manifests }, held: null, rollback: null };
    if (fleet !== null && fleet === cur.fleet && !this.health['rollout-manifest'].ok) {
      // The source is back to the adopted release (e.g. CI re-published it):
      // its manifests all verified, so no manifest alert is current any more.
      this.book.succeed(
        'rollout-manifest',
        this.health['rollout-manifest'].signedAt ?? fleet.signedAt,
      );
    }
    if (fleet === null || fleet === cur.fleet) return unchanged;
    const kept = { fleet: cur.fleet, manifests: cur.manifests };
    const rolled = checkNotRolledBack(this.marks(), fleetMarkCandidates(fleet.value));
    if (!rolled.ok) return { release: kept, held: null, rollback: rolled.error };
    const { manifests, refused } = await this.manifestsOf(fleet, cur.manifests, { track: true });
    if (refused.length === 0) return { release: { fleet, manifests }, held: null, rollback: null };
    return {
      release: kept,
      held: `release ${fleet.value.meta.ciCommit ?? ''} signed ${fleet.signedAt} held back: ${refused.join(', ')} refused`,
      rollback: null,
    };
  }

  /**
   * A new sidecar, unless signed before the one adopted (an older
   * revocations list would lift a revocation): then the adopted one stays.
   */
  private notOlder<T>(
    name: 'revocations' | 'bootstrap-nonces',
    prev: VerifiedArtifact<T> | null,
    next: VerifiedArtifact<T> | null,
  ): VerifiedArtifact<T> | null {
    if (next === null || next === prev) return next;
    const release = `${name}.json`;
    const rolled = checkNotRolledBack(this.marks(), [
      { channel: sidecarMark(name), signedAt: next.signedAt, release },
    ]);
    if (rolled.ok) return next;
    this.book.fail(name, 'CP_ERR_ARTIFACT_ROLLBACK', rolled.error.message, release, rolled.error);
    this.health[name].signedAt = prev?.signedAt ?? null;
    return prev;
  }

  /** Storage's marks, raised by the CP's release copy (which survives a database wipe). */
  private marks(): HighWaterMarks {
    return raiseMarks(this.o.marks?.() ?? new Map(), this.learned);
  }

  /** The cached last adopted release, verified like a source; null if none verifies. */
  private async readCache(): Promise<Release | null> {
    const cache = this.o.cache ?? null;
    if (cache === null || this.o.trust === null) return null;
    const read: Read = (rel) => cache.source.read(rel);
    const f = await this.fetchVerified('fleet.resolved.json', this.verify('fleet.resolved'), read);
    if (f.kind !== 'ok') {
      if (f.kind === 'error') {
        this.o.log.warn(
          { dir: cache.dir, code: f.code, reason: f.message },
          'cached release refused',
        );
      }
      return null;
    }
    const { manifests, refused } = await this.manifestsOf(f.artifact, new Map(), {
      read,
      track: false,
    });
    if (refused.length > 0) {
      this.o.log.warn({ dir: cache.dir, refused }, 'cached release refused');
      return null;
    }
    return { fleet: f.artifact, manifests };
  }

  /** The cached release, unless older than a mark in storage. */
  private restore(): Release | null {
    const fleet = this.cached?.fleet ?? null;
    if (this.cached === null || fleet === null) return null;
    const rolled = checkNotRolledBack(
      this.o.marks?.() ?? new Map(),
      fleetMarkCandidates(fleet.value),
    );
    if (!rolled.ok) {
      this.o.log.warn({ reason: rolled.error.message }, 'cached release refused');
      return null;
    }
    this.o.log.warn(
      {
        dir: this.o.cache?.dir,
        ciCommit: fleet.value.meta.ciCommit,
        signedAt: fleet.signedAt,
        alert: 'ReleaseRestoredFromCache',
      },
      'the source release cannot be adopted: restored the last release this CP adopted',
    );
    return this.cached;
  }

  private async poll(): Promise<void> {
    const cur = this.o.current();
    if (!this.restoreTried && cur.fleet === null) {
      this.cached = await this.readCache();
      if (this.cached?.fleet) this.learned = fleetMarkCandidates(this.cached.fleet.value);
    }
    const source = await this.sourceRelease(cur);
    let release = source.release;
    let fromSource = true;
    if (release.fleet === null && cur.fleet === null && !this.restoreTried) {
      // A fresh start whose source release cannot be adopted: fall back once
      // to the last release this CP adopted (its rollouts need their manifests).
      this.restoreTried = true;
      const restored = this.restore();
      if (restored !== null) {
        release = restored;
        fromSource = false;
        this.restoredFleet = restored.fleet;
        const h = this.health['fleet.resolved'];
        if (!h.present && h.lastError !== null) {
          const { code, message } = await this.absence('fleet.resolved.json', restored.fleet);
          this.book.fail('fleet.resolved', code, message, 'fleet.resolved.json');
        }
      }
    }
    this.restoreTried = true;
    if (fromSource && release.fleet !== this.restoredFleet) this.restoredFleet = null;
    const { fleet, manifests } = release;
    const kept =
      fleet === null
        ? 'no release adopted'
        : `keeping ${fleet.value.meta.ciCommit ?? 'the release'} signed ${fleet.signedAt}${fromSource ? '' : " (restored from the CP's copy)"}`;
    if (source.rollback !== null) {
      this.book.fail(
        'fleet.resolved',
        'CP_ERR_ARTIFACT_ROLLBACK',
        `${source.rollback.message}; ${kept}`,
        'fleet.resolved.json',
        source.rollback,
      );
    }
    if (source.held !== null) {
      this.book.fail(
        'fleet.resolved',
        'CP_ERR_RELEASE_HELD',
        `${source.held}; ${kept}`,
        'fleet.resolved.json',
      );
    }
    if (source.rollback !== null || source.held !== null) {
      // The refused fleet verified before it was refused: health names the one kept.
      this.health['fleet.resolved'].signedAt = fleet?.signedAt ?? null;
    }
    const revocations = this.notOlder(
      'revocations',
      cur.revocations,
      await this.one(
        'revocations',
        'revocations.json',
        cur.revocations,
        this.verify('revocations'),
      ),
    );
    const nonces = this.notOlder(
      'bootstrap-nonces',
      cur.nonces,
      await this.one(
        'bootstrap-nonces',
        'bootstrap-nonces.json',
        cur.nonces,
        this.verify('bootstrap-nonces'),
      ),
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
            rollouts: [...manifests.keys()].filter((id) =>
              id.endsWith(`@${fleet.value.meta.ciCommit ?? ''}`),
            ),
          },
          'fleet.resolved adopted',
        );
      }
      await this.o.adopt({ fleet, manifests, revocations, nonces });
      if (fromSource && fleet !== cur.fleet && fleet !== null && this.o.cache) {
        saveAdopted(this.o.cache, { fleet, manifests }, this.o.log);
      }
    }
  }
}
