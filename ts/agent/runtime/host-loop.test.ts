// long-file: every case drives the same scripted loop harness defined at the top;
// splitting the cases would mean exporting that harness from a test file.
// Unit tests through the reducer: the real core `step`, the real state
// directory and outbox, a scripted in-memory activation backend and a fake
// probe worker. Every emitted event must satisfy the agent-event contract.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { validateContract, type AgentEvent, type Dispatch } from '../../contracts/index.ts';
import type { LocalHostEvent } from '../../core/index.ts';
import type { ActivationBackend, SwitchHandle, SwitchStatus } from '../activation/backend.ts';
import { systemClock } from '../clock.ts';
import { DEFAULT_AGENT_TIMINGS, type AgentTimings } from '../config/config.ts';
import { Outbox } from '../queue/outbox.ts';
import { emptySnapshot, StateStore } from '../state/store.ts';
import { ActivationWorker } from '../workers/activation.ts';
import { HostLoop, type ProbeControl } from './host-loop.ts';

const OLD = '0000000000000000000000000000000a-nixos-system-web-01-1';
const NEW = '0000000000000000000000000000000b-nixos-system-web-01-2';
const log = pino({ level: 'silent' });
const dirs: string[] = [];
const controllers: AbortController[] = [];

afterEach(() => {
  for (const c of controllers.splice(0)) c.abort();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Scripted backend: `switchResult` decides how the next switch ends. */
class FakeBackend implements ActivationBackend {
  readonly name = 'sandbox' as const;
  readonly switchMethod = 'fake-detached';
  current: string | null = OLD;
  profile: string[] = [];
  launched: string[] = [];
  switchResult: (closure: string) => { exit: number; current: string | null } = (c) => ({
    exit: 0,
    current: c,
  });
  private statuses = new Map<string, SwitchStatus>();
  async currentSystem() {
    return this.current;
  }
  storePath(c: string) {
    return `/nonexistent/${c}`;
  }
  resolveAbsolute(p: string) {
    return p;
  }
  hostFile(p: string) {
    return p;
  }
  async setProfile(c: string) {
    this.profile.push(c);
  }
  async launchSwitch(c: string, now: number): Promise<SwitchHandle> {
    this.launched.push(c);
    const id = `${now}-${this.launched.length}`;
    const r = this.switchResult(c);
    this.current = r.current;
    this.statuses.set(id, { state: 'exited', exitCode: r.exit, stderrTail: r.exit ? 'boom' : '' });
    return { id, closure: c, startedAt: now };
  }
  async switchStatus(h: SwitchHandle): Promise<SwitchStatus> {
    return this.statuses.get(h.id) ?? { state: 'unknown' };
  }
  async defaultHealthChecksPath() {
    return '/nonexistent/health-checks.json';
  }
  async failedUnits(): Promise<string[]> {
    return [];
  }
}

class FakeProbes implements ProbeControl {
  resets: boolean[] = [];
  post: (e: LocalHostEvent) => void = () => undefined;
  topology = [{ name: 'web', kind: 'http' as const, mode: 'enforce' as const }];
  async reset(o: { declare: boolean }) {
    this.resets.push(o.declare);
    if (o.declare) {
      this.post({ kind: 'LocalProbeTopologyDeclared', probes: this.topology, at: Date.now() });
    }
  }
  stop() {}
  evidenceFor(probe: string, at: number) {
    return {
      signature: 'c2lnbmF0dXJl',
      payload: {
        schemaVersion: 1 as const,
        hostname: 'web-01',
        probe,
        kind: 'http' as const,
        mode: 'enforce' as const,
        status: 'Pass' as const,
        ts: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        bootId: 'boot',
        generationHash: null,
        rolloutId: 'stable@abc123',
        schema: null,
        controls: [],
        output: { httpStatus: 200 },
      },
    };
  }
}

interface Harness {
  dir: string;
  loop: HostLoop;
  outbox: Outbox;
  backend: FakeBackend;
  probes: FakeProbes;
  store: StateStore;
  events(): AgentEvent[];
}

function harness(
  options: { dir?: string; backend?: FakeBackend; timings?: Partial<AgentTimings> } = {},
): Harness {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'nixfleet-loop-'));
  if (!options.dir) dirs.push(dir);
  const timings: AgentTimings = {
    ...DEFAULT_AGENT_TIMINGS,
    activationPollMs: 5,
    pollBudgetMs: 2_000,
    sustainedFailureMs: 200,
    ...options.timings,
  };
  const c = new AbortController();
  controllers.push(c);
  const store = new StateStore(dir);
  const outbox = new Outbox({ dir, clock: systemClock, log, backoffBaseMs: 10, backoffMaxMs: 50 });
  const backend = options.backend ?? new FakeBackend();
  const probes = new FakeProbes();
  let loop: HostLoop | null = null;
  const activation = new ActivationWorker({
    backend,
    clock: systemClock,
    log,
    timings,
    post: (e) => loop?.postHost(e),
    persist: (saved) => loop?.persistActivation(saved),
    signal: c.signal,
  });
  loop = new HostLoop({
    hostname: 'web-01',
    clock: systemClock,
    log,
    store,
    outbox,
    timings,
    probes,
    activation,
  });
  const l = loop;
  probes.post = (e) => l.postHost(e);
  void l.run(c.signal);
  return { dir, loop: l, outbox, backend, probes, store, events: () => outbox.pending() };
}

function dispatch(overrides: Partial<Dispatch> = {}): Dispatch {
  const now = Date.now();
  return {
    kind: 'Dispatch',
    rollout_id: 'stable@abc123',
    target_closure: NEW,
    channel: 'stable',
    wave: 0,
    soak_due_at: new Date(now).toISOString(),
    confirm_deadline: new Date(now + 360_000).toISOString(),
    issued_at: new Date(now).toISOString(),
    seq: 1,
    ...overrides,
  };
}

async function waitFor(pred: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const kinds = (h: Harness): string[] => h.events().map((e) => e.kind);

function expectContract(events: AgentEvent[]): void {
  for (const e of events) {
    const v = validateContract('agent-event', e);
    expect(v.ok, JSON.stringify(v.ok ? null : v.errors)).toBe(true);
  }
}

function send(h: Harness, d: Dispatch, manifestTarget: string | null = d.target_closure): void {
  h.loop.post({
    kind: 'dispatch',
    dispatch: d,
    receivedAt: Date.now(),
    manifestTarget,
    onHealthFailure: 'rollback-and-halt',
  });
}

describe('reducer loop', () => {
  it('acks, activates, declares probes and converges once the enforce probe passes', async () => {
    const h = harness();
    send(h, dispatch());
    await waitFor(() => kinds(h).includes('ProbeTopologyDeclared'));
    expect(h.backend.profile).toEqual([NEW]);
    h.loop.postHost({
      kind: 'LocalProbeObserved',
      name: 'web',
      status: 'Pass',
      mode: 'enforce',
      failureReason: null,
      subResults: null,
      at: Date.now(),
    });
    await waitFor(() => kinds(h).includes('Converged'));
    expect(kinds(h)).toEqual([
      'DispatchAck',
      'ActivationStarted',
      'ActivationComplete',
      'ProbeTopologyDeclared',
      'ProbeObservedFirst',
      'ProbeResult',
      'Converged',
    ]);
    const seqs = h.events().map((e) => e.seq);
    expect(seqs).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const ack = h.events()[0];
    expect(ack).toMatchObject({ current_closure_at_dispatch: OLD, hostname: 'web-01' });
    const result = h.events().find((e) => e.kind === 'ProbeResult');
    expect(result?.['signature']).toBe('c2lnbmF0dXJl');
    expect(result?.['payload']).toMatchObject({ probe: 'web', hostname: 'web-01' });
    expectContract(h.events());
    expect(h.loop.snapshot.record?.state).toBe('Converged');
  });

  it('refuses a target the manifest does not name and keeps the current generation', async () => {
    const h = harness();
    send(h, dispatch(), '0000000000000000000000000000000c-nixos-system-web-01-9');
    await waitFor(() => kinds(h).length > 0);
    expect(h.events()[0]).toMatchObject({ kind: 'DispatchReject', reason: 'TargetMismatch' });
    expect(h.backend.launched).toEqual([]);
    expect(h.backend.current).toBe(OLD);
    expectContract(h.events());
  });

  it('refuses a host outside the dispatched wave (NotInManifest)', async () => {
    const h = harness();
    send(h, dispatch(), null);
    await waitFor(() => kinds(h).length > 0);
    expect(h.events()[0]).toMatchObject({ kind: 'DispatchReject', reason: 'NotInManifest' });
    expect(h.backend.launched).toEqual([]);
  });

  it('emits a typed DispatchReject for refusals decided before the reducer', async () => {
    const h = harness();
    h.loop.post({
      kind: 'refuse',
      dispatch: dispatch({ seq: 7 }),
      receivedAt: Date.now(),
      reason: 'ManifestInvalid',
      detail: 'TRUST_ERR_BAD_SIGNATURE: nope',
      retryable: false,
    });
    await waitFor(() => kinds(h).length > 0);
    expect(h.events()[0]).toMatchObject({
      kind: 'DispatchReject',
      reason: 'ManifestInvalid',
      seq: 8,
    });
    expect(h.loop.snapshot.record).toBeNull();
    expectContract(h.events());
  });

  it('keeps a rollout refused as unavailable open for a re-dispatch', async () => {
    const h = harness();
    const first = dispatch({ issued_at: '2026-05-16T00:00:00Z' });
    h.loop.post({
      kind: 'refuse',
      dispatch: first,
      receivedAt: Date.now(),
      reason: 'ManifestUnavailable',
      detail: 'manifest: HTTP 503 (4 attempts until the confirm deadline)',
      retryable: true,
    });
    await waitFor(() => kinds(h).length > 0);
    expect(h.events()[0]).toMatchObject({ reason: 'ManifestUnavailable', seq: 2 });
    expect(h.loop.handled(first)).toBe(true);
    const again = dispatch({ issued_at: '2026-05-16T00:10:00Z' });
    expect(h.loop.handled(again)).toBe(false);
    send(h, again);
    await waitFor(() => kinds(h).includes('ActivationComplete'));
    expect(h.events()[1]).toMatchObject({ kind: 'DispatchAck', seq: 3 });
    expect(h.loop.snapshot.retryableRefusals).toEqual({});
    expect(h.backend.launched).toEqual([NEW]);
    expectContract(h.events());
  });

  it('ignores a re-dispatch of a rollout refused for good', async () => {
    const h = harness();
    h.loop.post({
      kind: 'refuse',
      dispatch: dispatch({ issued_at: '2026-05-16T00:00:00Z' }),
      receivedAt: Date.now(),
      reason: 'ClosureUntrusted',
      detail: 'lacks a valid signature',
      retryable: false,
    });
    await waitFor(() => kinds(h).length > 0);
    expect(h.loop.handled(dispatch({ issued_at: '2026-05-16T00:10:00Z' }))).toBe(true);
  });

  it('keeps the running record when a later rollout is refused', async () => {
    const h = harness();
    send(h, dispatch());
    await waitFor(() => kinds(h).includes('ProbeTopologyDeclared'));
    send(h, dispatch({ rollout_id: 'stable@abc999' }), null);
    await waitFor(() => kinds(h).includes('DispatchReject'));
    expect(h.loop.snapshot.record?.rolloutId).toBe('stable@abc123');
    expect(h.loop.snapshot.record?.state).toBe('Soaking');
    expect(h.loop.snapshot.lastSeqByRollout['stable@abc999']).toBe(2);
  });

  it('quarantines a closure whose switch failed, rolls back, and refuses it next time', async () => {
    const backend = new FakeBackend();
    backend.switchResult = (c) => (c === NEW ? { exit: 3, current: NEW } : { exit: 0, current: c });
    const h = harness({ backend });
    send(h, dispatch());
    await waitFor(() => kinds(h).includes('RollbackComplete'));
    expect(kinds(h)).toEqual([
      'DispatchAck',
      'ActivationStarted',
      'ActivationFailed',
      'ClosureQuarantined',
      'RollbackComplete',
    ]);
    expect(backend.current).toBe(OLD);
    expect(h.loop.quarantined(NEW)).toBe(true);
    const qEvent = h.events().find((e) => e.kind === 'ClosureQuarantined');
    expect(qEvent).toMatchObject({ closure: NEW, failure_count: 1 });
    expectContract(h.events());
    // A new rollout naming the same closure: refused locally; report throttled.
    const before = h.events().length;
    send(h, dispatch({ rollout_id: 'stable@abc124', seq: 1 }));
    await waitFor(() => h.events().length > before);
    const after = h.events().slice(before);
    expect(after.map((e) => e.kind)).toEqual(['DispatchReject']);
    expect(after[0]).toMatchObject({ reason: 'Quarantined', rollout_id: 'stable@abc124' });
    expect(backend.launched.filter((c) => c === NEW)).toHaveLength(1);
  });

  it('treats a verify mismatch like a failed switch', async () => {
    const backend = new FakeBackend();
    backend.switchResult = (c) => ({ exit: 0, current: c === NEW ? OLD : c });
    const h = harness({ backend });
    send(h, dispatch());
    await waitFor(() => kinds(h).includes('ClosureQuarantined'));
    expect(kinds(h)).toContain('ActivationFailed');
    expect(h.loop.quarantined(NEW)).toBe(true);
  });

  it('fails after sustained enforce-probe failure and rolls back per the manifest', async () => {
    const h = harness();
    send(h, dispatch({ soak_due_at: new Date(Date.now() + 60_000).toISOString() }));
    await waitFor(() => kinds(h).includes('ProbeTopologyDeclared'));
    const fail = (): void =>
      h.loop.postHost({
        kind: 'LocalProbeObserved',
        name: 'web',
        status: 'Fail',
        mode: 'enforce',
        failureReason: 'HTTP 500',
        subResults: null,
        at: Date.now(),
      });
    fail();
    await new Promise((r) => setTimeout(r, 250));
    h.loop.postHost({ kind: 'LocalTick', at: Date.now() });
    await waitFor(() => kinds(h).includes('RollbackComplete'));
    const failed = h.events().find((e) => e.kind === 'Failed');
    expect(failed).toMatchObject({ policy_applied: 'rollback-and-halt', failing_probes: ['web'] });
    expect(h.events().find((e) => e.kind === 'RollbackComplete')).toMatchObject({
      reverted_to_closure: OLD,
    });
    expect(h.backend.current).toBe(OLD);
    expectContract(h.events());
  });

  it('defers on a switch inhibitor without rolling back, and completes after the reboot', async () => {
    const backend = new FakeBackend();
    const dir = mkdtempSync(join(tmpdir(), 'nixfleet-loop-'));
    dirs.push(dir);
    // An earlier rollout deferred this closure (the fake backend has no inhibitors).
    const deferred = { closure: NEW, component: 'kernel' as const, at: Date.now() };
    new StateStore(dir).saveSnapshot({ ...emptySnapshot(), deferred });
    const h = harness({ dir, backend });
    send(h, dispatch());
    await waitFor(() => kinds(h).includes('ActivationDeferred'));
    expect(backend.launched).toEqual([]);
    expect(h.loop.snapshot.record?.state).toBe('Deferred');
    // Reboot into the staged generation, restart the agent.
    backend.current = NEW;
    const h2 = harness({ dir: h.dir, backend });
    await h2.loop.recover();
    await waitFor(() => kinds(h2).includes('ActivationComplete'));
    expect(h2.store.loadSnapshot().deferred).toBeNull();
  });
});

describe('boot recovery and durability', () => {
  it('completes an activation the previous process launched but never saw finish', async () => {
    const backend = new FakeBackend();
    backend.switchResult = () => ({ exit: 0, current: OLD }); // pretend: not yet switched
    const h = harness({ backend });
    send(h, dispatch());
    await waitFor(() => kinds(h).includes('ActivationFailed'));
    // Simulate instead a crash right after DispatchAck: rewrite the snapshot.
    const snap = h.loop.snapshot;
    const activating = {
      ...snap,
      record: { ...snap.record!, state: 'Activating' as const, lastEventSeq: 2 },
      pendingEmits: [],
      quarantine: {},
    };
    for (const c of controllers.splice(0)) c.abort();
    rmSync(join(h.dir, 'outbox'), { recursive: true, force: true });
    rmSync(join(h.dir, 'journal'), { recursive: true, force: true });
    h.store.saveSnapshot(activating);
    backend.current = NEW; // the detached switch finished while we were down
    const h2 = harness({ dir: h.dir, backend });
    await h2.loop.recover();
    await waitFor(() => kinds(h2).includes('ActivationComplete'));
    expect(h2.events()[0]).toMatchObject({
      kind: 'ActivationComplete',
      seq: 3,
      observed_current_closure: NEW,
    });
  });

  it('re-enqueues the events of a step committed just before a crash', async () => {
    const h = harness();
    send(h, dispatch(), null);
    await waitFor(() => kinds(h).length > 0);
    for (const c of controllers.splice(0)) c.abort();
    rmSync(join(h.dir, 'outbox'), { recursive: true, force: true });
    const h2 = harness({ dir: h.dir });
    expect(kinds(h2)).toEqual(['DispatchReject']);
  });

  it('persists the last CP contact promptly, at most once per heartbeat interval', async () => {
    const h = harness({ timings: { heartbeatIntervalMs: 1_000 } });
    const t0 = Date.now();
    h.loop.touchCp(t0);
    expect(h.store.loadSnapshot().lastCpContactAt).toBe(t0);
    h.loop.touchCp(t0 + 500);
    expect(h.store.loadSnapshot().lastCpContactAt).toBe(t0);
    expect(h.loop.snapshot.lastCpContactAt).toBe(t0 + 500);
    h.loop.touchCp(t0 + 1_000);
    for (const c of controllers.splice(0)) c.abort();
    const h2 = harness({ dir: h.dir });
    expect(h2.loop.snapshot.lastCpContactAt).toBe(t0 + 1_000);
  });

  it('refuses to start on a corrupt snapshot and leaves it in place (fail closed)', async () => {
    const backend = new FakeBackend();
    backend.switchResult = (c) => (c === NEW ? { exit: 3, current: NEW } : { exit: 0, current: c });
    const h = harness({ backend });
    send(h, dispatch());
    await waitFor(() => kinds(h).includes('ClosureQuarantined'));
    for (const c of controllers.splice(0)) c.abort();
    const path = join(h.dir, 'agent-state.json');
    const good = readFileSync(path, 'utf8');
    writeFileSync(path, good.slice(0, good.length / 2));
    expect(() => harness({ dir: h.dir })).toThrow(
      expect.objectContaining({ code: 'AGENT_ERR_STATE_UNUSABLE' }),
    );
    // A snapshot of a layout this agent does not know is not a fresh start either.
    writeFileSync(path, JSON.stringify({ ...JSON.parse(good), schemaVersion: 99 }));
    expect(() => harness({ dir: h.dir })).toThrow(/unknown schemaVersion 99/);
    expect(readdirSync(h.dir).filter((f) => f.includes('.corrupt-'))).toEqual([]);
    // Restored, the quarantine is still there.
    writeFileSync(path, good);
    expect(harness({ dir: h.dir }).loop.quarantined(NEW)).toBe(true);
  });
});

describe('upgrade from the layout of separate state files', () => {
  it('folds quarantine, deferral and the switch in flight into the snapshot once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nixfleet-loop-'));
    dirs.push(dir);
    const now = Date.now();
    const QUARANTINED = '0000000000000000000000000000000c-nixos-system-web-01-3';
    // What an older agent left: a schemaVersion 1 snapshot and three side files.
    const v1 = { ...emptySnapshot(), schemaVersion: 1, lastSeqByRollout: { 'stable@old': 7 } };
    for (const k of ['quarantine', 'deferred', 'activation'])
      delete (v1 as Record<string, unknown>)[k];
    writeFileSync(join(dir, 'agent-state.json'), JSON.stringify(v1));
    writeFileSync(
      join(dir, 'quarantine.json'),
      JSON.stringify({
        schemaVersion: 1,
        closures: {
          [QUARANTINED]: {
            firstFailureAt: now - 1_000,
            lastFailureAt: now - 1_000,
            failureCount: 1,
            lastReportedAt: now - 1_000,
          },
        },
      }),
    );
    writeFileSync(
      join(dir, 'deferred.json'),
      JSON.stringify({ schemaVersion: 1, closure: NEW, component: 'kernel', at: now - 500 }),
    );
    const handle = { id: 'gone', closure: OLD, startedAt: now - 2_000 };
    writeFileSync(join(dir, 'activation.json'), JSON.stringify({ kind: 'switch', handle }));

    const backend = new FakeBackend();
    const h = harness({ dir, backend });
    expect(
      readdirSync(dir).filter((f) => /^(quarantine|deferred|activation)\.json$/.test(f)),
    ).toEqual([]);
    const snap = h.store.loadSnapshot();
    expect(snap).toMatchObject({
      schemaVersion: 2,
      lastSeqByRollout: { 'stable@old': 7 },
      deferred: { closure: NEW, component: 'kernel' },
      activation: { kind: 'switch', handle },
    });
    expect(Object.keys(snap.quarantine)).toEqual([QUARANTINED]);
    // The quarantine still refuses its closure...
    send(h, dispatch({ rollout_id: 'stable@q', target_closure: QUARANTINED }), QUARANTINED);
    await waitFor(() => kinds(h).includes('DispatchReject'));
    expect(h.events()[0]).toMatchObject({ kind: 'DispatchReject', reason: 'Quarantined' });
    // ...and the deferral still keeps the staged closure from a second live switch.
    send(h, dispatch());
    await waitFor(() => kinds(h).includes('ActivationDeferred'));
    expect(backend.launched).toEqual([]);
    // A second start reads the migrated snapshot as it is.
    for (const c of controllers.splice(0)) c.abort();
    expect(harness({ dir, backend }).store.loadSnapshot().quarantine).toEqual(
      h.loop.snapshot.quarantine,
    );
  });
});
