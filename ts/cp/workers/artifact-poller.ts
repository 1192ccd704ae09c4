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
// of a fresh start whose source release cannot be adopted. Must never adopt
// bytes that did not verify.
import {
  bytesEqual,
  verifyArtifact,
  verifyBootstrapNonces,
  verifyRevocations,
  verifyRolloutManifest,
  type TrustConfig,
} from '../../trust/index.ts';
import type { FleetResolved, RolloutManifest } from '../../contracts/index.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { CpMetrics } from '../metrics.ts';
import type {
  ArtifactHealth,
  ArtifactName,
  ArtifactSnapshot,
  VerifiedArtifact,
} from '../runtime/artifacts.ts';
import { describeAbsence, type ArtifactSource } from './artifact-source.ts';
import type { ReleaseCache } from './release-cache.ts';
import {
  fetchVerified,
  manifestExpected,
  readPair,
  verifyPair,
  type Fetched,
  type Read,
  type SignedPair,
  type Verify,
} from './signed-pair.ts';

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
}

const NAMES: readonly ArtifactName[] = [
  'fleet.resolved',
  'rollout-manifest',
  'revocations',
  'bootstrap-nonces',
];

const ROLLOUT_ID = /^[a-z0-9_-]+@[0-9a-f]+$/;

/** A fleet.resolved and the manifests adopted with it. */
interface Release {
  readonly fleet: VerifiedArtifact<FleetResolved> | null;
  readonly manifests: ReadonlyMap<string, VerifiedArtifact<RolloutManifest>>;
}

function freshHealth(): ArtifactHealth {
  return { ok: true, present: false, lastVerifiedAt: null, signedAt: null, lastError: null };
}

/** Polls and verifies signed artifacts; keeps per-artifact health. */
export class ArtifactPoller {
  readonly health: Record<ArtifactName, ArtifactHealth> = Object.fromEntries(
    NAMES.map((n) => [n, freshHealth()]),
  ) as Record<ArtifactName, ArtifactHealth>;
  private polling: Promise<void> | null = null;
  private restoreTried = false;
  /** The fleet.resolved restored from the CP's copy, while it is the one in use. */
  private restoredFleet: VerifiedArtifact<FleetResolved> | null = null;

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

  private fail(name: ArtifactName, code: string, message: string, path: string): void {
    const at = this.o.clock.now();
    const h = this.health[name];
    h.ok = false;
    h.lastError = { code, message, at, path };
    this.o.metrics.artifactFailures.inc({ artifact: name, code });
    this.o.metrics.artifactAlert.set(1, { artifact: name });
    this.o.log.error(
      { artifact: name, path, code, reason: message, alert: 'ArtifactVerificationFailed' },
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

  private fetchVerified<T>(rel: string, verify: Verify<T>, read?: Read): Promise<Fetched<T>> {
    return fetchVerified(read ?? ((r) => this.read(r)), rel, this.o.trust, verify, () =>
      this.o.clock.now(),
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
      got = await readPair((r) => this.read(r), rel);
    } catch (e) {
      this.fail(name, 'CP_ERR_ARTIFACT_FETCH', (e as Error).message, rel);
      return prev;
    }
    if (got === null) {
      this.health[name].present = false;
      if (options.required) {
        const { code, message } = await this.absence(rel, prev as VerifiedArtifact<unknown>);
        this.fail(name, code, message, rel);
      }
      return prev;
    }
    if (prev !== null && bytesEqual(prev.bytes, got.bytes) && bytesEqual(prev.signature, got.sig)) {
      this.succeed(name, prev.signedAt);
      return prev;
    }
    const r = verifyPair(got, this.o.trust, verify, this.o.clock.now());
    if (r.kind !== 'ok') {
      if (r.kind === 'error') this.fail(name, r.code, r.message, rel);
      return prev;
    }
    this.succeed(name, r.artifact.signedAt);
    return r.artifact;
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

  /**
   * The manifests a fleet implies (`<channel>@<ciCommit>`), verified against
   * its hash, added to `known`. `refused` lists every one that is present
   * but does not verify, or is missing although the release must carry it.
   * With `track`, failures raise alerts and a full success clears them.
   */
  private async manifestsOf(
    fleet: VerifiedArtifact<FleetResolved>,
    known: ReadonlyMap<string, VerifiedArtifact<RolloutManifest>>,
    options: { readonly read?: Read; readonly track: boolean },
  ): Promise<{
    manifests: ReadonlyMap<string, VerifiedArtifact<RolloutManifest>>;
    refused: string[];
  }> {
    const ref = fleet.value.meta.ciCommit;
    const refused: string[] = [];
    if (ref === null) return { manifests: known, refused };
    const next = new Map(known);
    let signedAt: string | null = null;
    for (const channel of Object.keys(fleet.value.channels).sort()) {
      const id = `${channel}@${ref}`;
      if (next.has(id) || !ROLLOUT_ID.test(id)) continue;
      const rel = `rollouts/${id}.json`;
      const r = await this.fetchVerified<RolloutManifest>(
        rel,
        (b, s) =>
          verifyRolloutManifest(b, s, {
            ...this.verifyOptions(),
            expectedRolloutId: id,
            fleetResolvedHash: fleet.sha256,
          }),
        options.read,
      );
      if (r.kind === 'ok') {
        next.set(id, r.artifact);
        signedAt = r.artifact.signedAt;
        continue;
      }
      if (r.kind === 'absent' && !manifestExpected(fleet.value, channel)) continue;
      const code = r.kind === 'absent' ? 'CP_ERR_ARTIFACT_MISSING' : r.code;
      const message =
        r.kind === 'absent'
          ? `${rel} is not published although channel ${channel} has hosts`
          : r.message;
      refused.push(`${rel} (${code})`);
      if (options.track) this.fail('rollout-manifest', code, message, rel);
    }
    if (options.track && refused.length === 0 && signedAt !== null) {
      this.succeed('rollout-manifest', signedAt);
    }
    return { manifests: next.size === known.size ? known : next, refused };
  }

  private verifyOptions(): { trust: TrustConfig; now: Date; freshnessWindowSecs: number } {
    return {
      trust: this.o.trust as TrustConfig,
      now: new Date(this.o.clock.now()),
      freshnessWindowSecs: Math.floor(this.o.freshnessMs / 1000),
    };
  }

  /**
   * The source's release: its fleet.resolved with every manifest it implies,
   * or — when a manifest is refused — the current release unchanged (held
   * back, with an alert on fleet.resolved naming what held it).
   */
  private async sourceRelease(
    cur: ArtifactSnapshot,
  ): Promise<{ release: Release; held: string | null }> {
    const fleet = await this.one(
      'fleet.resolved',
      'fleet.resolved.json',
      cur.fleet,
      (b, s) => verifyArtifact(b, s, this.verifyOptions()),
      { required: true },
    );
    const unchanged = { release: { fleet, manifests: cur.manifests }, held: null };
    if (fleet !== null && fleet === cur.fleet && !this.health['rollout-manifest'].ok) {
      // The source is back to the adopted release (e.g. CI re-published it):
      // its manifests all verified, so no manifest alert is current any more.
      this.succeed('rollout-manifest', this.health['rollout-manifest'].signedAt ?? fleet.signedAt);
    }
    if (fleet === null || fleet === cur.fleet) return unchanged;
    const { manifests, refused } = await this.manifestsOf(fleet, cur.manifests, { track: true });
    if (refused.length === 0) return { release: { fleet, manifests }, held: null };
    return {
      release: { fleet: cur.fleet, manifests: cur.manifests },
      held: `release ${fleet.value.meta.ciCommit ?? ''} signed ${fleet.signedAt} held back: ${refused.join(', ')} refused`,
    };
  }

  /** The cached last adopted release, verified like a source; null if none verifies. */
  private async restore(): Promise<Release | null> {
    const cache = this.o.cache ?? null;
    if (cache === null || this.o.trust === null) return null;
    const read: Read = (rel) => cache.source.read(rel);
    const f = await this.fetchVerified(
      'fleet.resolved.json',
      (b, s) => verifyArtifact(b, s, this.verifyOptions()),
      read,
    );
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
    this.o.log.warn(
      {
        dir: cache.dir,
        ciCommit: f.artifact.value.meta.ciCommit,
        signedAt: f.artifact.signedAt,
        alert: 'ReleaseRestoredFromCache',
      },
      'the source release cannot be adopted: restored the last release this CP adopted',
    );
    return { fleet: f.artifact, manifests };
  }

  private saveToCache(release: Release): void {
    const cache = this.o.cache ?? null;
    const fleet = release.fleet;
    if (cache === null || fleet === null) return;
    const ref = fleet.value.meta.ciCommit;
    const mine = [...release.manifests].filter(
      ([id]) => ref !== null && id.endsWith(`@${ref}`) && id.split('@')[0]! in fleet.value.channels,
    );
    try {
      cache.save(
        { rel: 'fleet.resolved.json', bytes: fleet.bytes, signature: fleet.signature },
        mine.map(([id, m]) => ({
          rel: `rollouts/${id}.json`,
          bytes: m.bytes,
          signature: m.signature,
        })),
      );
    } catch (e) {
      this.o.log.warn(
        { err: e, dir: cache.dir, code: 'CP_ERR_ARTIFACT_CACHE' },
        'cannot keep a copy of the adopted release; a restart will depend on the source',
      );
    }
  }

  private async poll(): Promise<void> {
    const cur = this.o.current();
    const source = await this.sourceRelease(cur);
    let release = source.release;
    let fromSource = true;
    if (release.fleet === null && cur.fleet === null && !this.restoreTried) {
      // A fresh start whose source release cannot be adopted: fall back once
      // to the last release this CP adopted (its rollouts need their manifests).
      this.restoreTried = true;
      const restored = await this.restore();
      if (restored !== null) {
        release = restored;
        fromSource = false;
        this.restoredFleet = restored.fleet;
        const h = this.health['fleet.resolved'];
        if (!h.present && h.lastError !== null) {
          const { code, message } = await this.absence('fleet.resolved.json', restored.fleet);
          this.fail('fleet.resolved', code, message, 'fleet.resolved.json');
        }
      }
    }
    if (fromSource && release.fleet !== this.restoredFleet) this.restoredFleet = null;
    const { fleet, manifests } = release;
    if (source.held !== null) {
      const kept =
        fleet === null
          ? 'no release adopted'
          : `keeping ${fleet.value.meta.ciCommit ?? 'the release'} signed ${fleet.signedAt}${fromSource ? '' : " (restored from the CP's copy)"}`;
      this.fail(
        'fleet.resolved',
        'CP_ERR_RELEASE_HELD',
        `${source.held}; ${kept}`,
        'fleet.resolved.json',
      );
    }
    const revocations = await this.one('revocations', 'revocations.json', cur.revocations, (b, s) =>
      verifyRevocations(b, s, this.verifyOptions()),
    );
    const nonces = await this.one('bootstrap-nonces', 'bootstrap-nonces.json', cur.nonces, (b, s) =>
      verifyBootstrapNonces(b, s, this.verifyOptions()),
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
      if (fromSource && fleet !== cur.fleet) this.saveToCache(release);
    }
  }
}
