// long-file: one property per describe over the same event generators; the
// core's invariants read as one specification.
// Property tests (fast-check) over random event sequences: reducer
// invariants, agent/CP mirror agreement, budgets, quarantine, determinism and
// replay = live state.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Effect } from './effects.ts';
import { remoteEventFromWire } from './host/from-wire.ts';
import { hostInvariantViolations } from './host/invariants.ts';
import { step } from './host/step.ts';
import type {
  HostPolicy,
  HostRolloutState,
  LocalHostEvent,
  RemoteHostEvent,
} from './host/types.ts';
import { enforceProbeNames } from './host/probes.ts';
import type { PlannerInput } from './inputs.ts';
import { planNext } from './planner/plan-next.ts';
import { replay } from './replay.ts';
import { ENFORCE, Sim, closureOf, manifestOf, sel } from '../../tests/support/core-sim.ts';

const T0 = Date.UTC(2026, 4, 16, 0, 0, 0);
const TARGET = closureOf('h', 'aa');
const PRIOR = closureOf('h', 'bb');
const DISPATCH = {
  rolloutId: 'stable@aa',
  hostname: 'h',
  channel: 'stable',
  wave: 0,
  targetClosure: TARGET,
  soakDueAt: T0 + 30_000,
  confirmDeadline: T0 + 360_000,
  issuedAt: T0,
  seq: 1,
};
const policyArb = fc.record({
  onHealthFailure: fc.constantFrom('halt' as const, 'rollback-and-halt' as const),
  sustainedFailureMs: fc.constantFrom(0, 10_000, 60_000),
  clockSkewSlackMs: fc.constantFrom(0, 60_000),
});

/** Random agent-side events (times are offsets from T0). */
const localArb: fc.Arbitrary<LocalHostEvent> = fc
  .oneof(
    fc.record({
      kind: fc.constant('LocalActivationStarted' as const),
      switchMethod: fc.constant('systemd-run'),
      at: fc.nat(200_000),
    }),
    fc.record({
      kind: fc.constant('LocalActivationCompleted' as const),
      observed: fc.constantFrom(TARGET, TARGET, PRIOR),
      exitCode: fc.constant(0),
      at: fc.nat(200_000),
    }),
    fc.record({
      kind: fc.constant('LocalActivationFailed' as const),
      exitCode: fc.option(fc.integer({ min: 1, max: 3 })),
      stderrTail: fc.constant('err'),
      at: fc.nat(200_000),
    }),
    fc.record({
      kind: fc.constant('LocalActivationDeferred' as const),
      component: fc.constantFrom('dbus' as const, 'kernel' as const),
      at: fc.nat(200_000),
    }),
    fc.record({
      kind: fc.constant('LocalProbeTopologyDeclared' as const),
      probes: fc.subarray([
        ENFORCE,
        { name: 'obs', kind: 'tcp' as const, mode: 'observe' as const },
        { name: 'ev', kind: 'evidence' as const, mode: 'enforce' as const },
      ]),
      at: fc.nat(200_000),
    }),
    fc.record({
      kind: fc.constant('LocalProbeObserved' as const),
      name: fc.constantFrom('http-ok', 'obs', 'ev'),
      status: fc.constantFrom('Pass' as const, 'Fail' as const),
      mode: fc.constantFrom('enforce' as const, 'observe' as const),
      failureReason: fc.constant(null),
      subResults: fc.constant(null),
      at: fc.nat(200_000),
    }),
    fc.record({
      kind: fc.constant('LocalRollbackCompleted' as const),
      revertedTo: fc.constantFrom(PRIOR, TARGET),
      exitCode: fc.constantFrom(0, 0, 1),
      at: fc.nat(200_000),
    }),
    fc.record({ kind: fc.constant('LocalTick' as const), at: fc.nat(200_000) }),
  )
  .map((e) => ({ ...e, at: T0 + e.at }) as LocalHostEvent);

/** Folds agent events in time order, returning the record and emitted wire events. */
function runAgent(events: LocalHostEvent[], policy: HostPolicy) {
  const received: LocalHostEvent = {
    kind: 'DispatchReceived',
    dispatch: DISPATCH,
    manifestTarget: TARGET,
    currentClosure: PRIOR,
    locallyQuarantined: false,
    at: T0,
  };
  let s: HostRolloutState | null = null;
  const effects: Effect[] = [];
  const sorted = [...events].sort((a, b) => a.at - b.at);
  for (const e of [received, ...sorted]) {
    const r = step(s, e, e.at, policy);
    if (!r.ok) continue; // illegal events are refused; the state is untouched
    s = r.state;
    effects.push(...r.effects);
  }
  return { state: s as HostRolloutState, effects };
}

describe('properties: host reducer', () => {
  it('agent side: invariants hold for every event sequence (step throws otherwise)', () => {
    fc.assert(
      fc.property(fc.array(localArb, { maxLength: 30 }), policyArb, (events, policy) => {
        const { state } = runAgent(events, policy);
        expect(hostInvariantViolations(state)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('determinism: the same events give the same state and effects', () => {
    fc.assert(
      fc.property(fc.array(localArb, { maxLength: 30 }), policyArb, (events, policy) => {
        expect(runAgent(events, policy)).toEqual(runAgent(events, policy));
      }),
      { numRuns: 200 },
    );
  });

  it('agent and CP mirror agree: folding the emitted wire events reproduces the record', () => {
    fc.assert(
      fc.property(fc.array(localArb, { maxLength: 30 }), policyArb, (events, policy) => {
        const agent = runAgent(events, policy);
        let cp: HostRolloutState | null = null;
        const issued = step(null, { kind: 'RemoteDispatchIssued', dispatch: DISPATCH }, T0, policy);
        if (!issued.ok) throw new Error('dispatch refused');
        cp = issued.state;
        for (const e of agent.effects) {
          if (e.kind !== 'LocalEmitEvent') continue;
          const remote = remoteEventFromWire(e.payload);
          expect(remote).not.toBeNull();
          const r = step(cp, remote as RemoteHostEvent, T0, policy);
          if (!r.ok) throw new Error(`CP refused ${e.payload.kind}: ${r.code} ${r.message}`);
          cp = r.state;
        }
        expect(cp).toEqual({ ...agent.state, dispatchedAt: DISPATCH.issuedAt });
      }),
      { numRuns: 400 },
    );
  });

  it('Reverted always means current == reverted_to != target; Converged means current == target', () => {
    fc.assert(
      fc.property(fc.array(localArb, { maxLength: 40 }), policyArb, (events, policy) => {
        const { state } = runAgent(events, policy);
        if (state.state === 'Reverted') {
          expect(state.currentClosure).toBe(state.revertedTo);
          expect(state.currentClosure).not.toBe(state.targetClosure);
        }
        if (state.state === 'Converged') expect(state.currentClosure).toBe(state.targetClosure);
      }),
      { numRuns: 300 },
    );
  });
});

/** One scripted fleet run: random topology, random agent behaviour per tick. */
const fleetArb = fc.record({
  hosts: fc.integer({ min: 2, max: 10 }),
  channelOf: fc.array(fc.constantFrom('a', 'b'), { minLength: 10, maxLength: 10 }),
  waveOf: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 10, maxLength: 10 }),
  budgetMembers: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
  maxInFlight: fc.integer({ min: 1, max: 3 }),
  onHealthFailure: fc.constantFrom('halt' as const, 'rollback-and-halt' as const),
  edges: fc.boolean(),
  /** 0: the host never heartbeats (never seen) in the whole run. */
  presence: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 10, maxLength: 10 }),
  ticks: fc.array(
    fc.record({
      moves: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 10, maxLength: 10 }),
      offline: fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }),
      release: fc.constantFrom(null, 'a', 'b'),
    }),
    { minLength: 1, maxLength: 25 },
  ),
});

/**
 * No promotion without evidence (default knobs): a promoted non-empty wave
 * has a member Converged with an enforce probe, and no member that was never
 * seen and never dispatched.
 */
function expectEvidence(input: PlannerInput, rolloutId: string, wave: number): void {
  const members = (input.manifests.get(rolloutId)?.hostSet ?? [])
    .filter((h) => h.waveIndex === wave)
    .map((h) => h.hostname);
  if (members.length === 0) return;
  const records = input.hosts.get(rolloutId);
  const soaked = members.filter((h) => {
    const r = records?.get(h);
    return r?.state === 'Converged' && enforceProbeNames(r).length > 0;
  });
  const neverSeen = members.filter((h) => !input.liveness.has(h) && !records?.has(h));
  expect({ rolloutId, wave, soaked: soaked.length > 0, neverSeen }).toEqual({
    rolloutId,
    wave,
    soaked: true,
    neverSeen: [],
  });
}

describe('properties: planner over random fleets', () => {
  it('budgets never exceeded, no quarantined closure dispatched, deterministic, replay = live', () => {
    fc.assert(
      fc.property(fleetArb, (f) => {
        const sim = new Sim({ confirmWindowMs: 10 * 60_000 });
        const names = Array.from({ length: f.hosts }, (_, i) => `h${i}`);
        const budgetHosts = names.filter((_, i) => f.budgetMembers[i]);
        const budget = {
          selector: sel({ tags: ['b'] }),
          hosts: budgetHosts,
          maxInFlight: f.maxInFlight,
        };
        if (f.edges && f.hosts > 2) {
          sim.fleet = {
            edges: [{ before: 'h0', after: 'h1', reason: null }],
            channelEdges: [{ before: 'a', after: 'b', reason: null }],
          };
        }
        let refN = 0;
        const release = (channel: string): void => {
          refN += 1;
          const waves: string[][] = [[], [], []];
          names.forEach((h, i) => {
            if (f.channelOf[i] === channel) waves[f.waveOf[i] as number]?.push(h);
          });
          sim.release(
            manifestOf({
              channel,
              ref: `${channel === 'a' ? 'a' : 'b'}${refN}`,
              waves,
              soakMinutes: [1, 0, 2],
              budgets: [budget],
              onHealthFailure: f.onHealthFailure,
            }),
          );
        };
        release('a');
        release('b');
        f.ticks.forEach((t, k) => {
          const now = T0 + k * 60_000;
          sim.heartbeat(
            names.filter((_, i) => !t.offline[i] && f.presence[i] !== 0),
            now,
          );
          if (t.release !== null) release(t.release);
          const input = sim.input();
          const plan = planNext(input, now);
          expect(planNext(input, now)).toEqual(plan);
          for (const a of plan.actions) {
            if (a.kind === 'QueueDispatch') {
              expect(sim.quarantines.get(a.channel)?.has(a.targetClosure) ?? false).toBe(false);
            }
            if (a.kind === 'PromoteWave') expectEvidence(input, a.rolloutId, a.fromWave);
          }
          sim.tick(now);
          // Agents move.
          for (const [rolloutId, records] of sim.model.hosts) {
            for (const [host, rec] of records) {
              const i = Number(host.slice(1));
              const move = t.moves[i] as number;
              const policyFail = sim.policy(rolloutId).onHealthFailure;
              switch (rec.state) {
                case 'Pending':
                  if (move < 6 && now <= rec.confirmDeadline) {
                    sim.report(
                      rolloutId,
                      host,
                      (seq) => ({
                        kind: 'RemoteDispatchAck',
                        seq,
                        currentClosureAtDispatch: closureOf(host, 'old'),
                        at: now,
                      }),
                      now,
                    );
                  }
                  break;
                case 'Activating':
                  if (move < 5)
                    sim.report(
                      rolloutId,
                      host,
                      (seq) => ({
                        kind: 'RemoteActivationComplete',
                        seq,
                        observed: rec.targetClosure,
                        exitCode: 0,
                        at: now,
                      }),
                      now,
                    );
                  else if (move === 5)
                    sim.report(
                      rolloutId,
                      host,
                      (seq) => ({
                        kind: 'RemoteActivationDeferred',
                        seq,
                        component: 'kernel',
                        at: now,
                      }),
                      now,
                    );
                  else if (move === 6)
                    sim.report(
                      rolloutId,
                      host,
                      (seq) => ({
                        kind: 'RemoteActivationFailed',
                        seq,
                        exitCode: 1,
                        stderrTail: 'x',
                        at: now,
                      }),
                      now,
                    );
                  break;
                case 'Deferred':
                  if (move < 4)
                    sim.report(
                      rolloutId,
                      host,
                      () => ({
                        kind: 'RemoteActivationComplete',
                        seq: null,
                        observed: rec.targetClosure,
                        exitCode: 0,
                        at: now,
                      }),
                      now,
                    );
                  break;
                case 'Soaking':
                  if (rec.probeTopology === null) sim.probesPass(rolloutId, host, now);
                  else if (move < 7) sim.converge(rolloutId, host, now);
                  else if (move === 9) {
                    sim.report(
                      rolloutId,
                      host,
                      (seq) => ({
                        kind: 'RemoteProbeResult',
                        seq,
                        name: ENFORCE.name,
                        status: 'Fail',
                        mode: 'enforce',
                        failureReason: 'x',
                        at: now,
                      }),
                      now,
                    );
                    sim.report(
                      rolloutId,
                      host,
                      (seq) => ({
                        kind: 'RemoteFailed',
                        seq,
                        sustainedDurationSecs: 60,
                        failingProbes: [ENFORCE.name],
                        policyApplied: policyFail,
                        at: now,
                      }),
                      now,
                    );
                  }
                  break;
                case 'Failed':
                  if (rec.policyApplied === 'rollback-and-halt' && move < 8) {
                    sim.report(
                      rolloutId,
                      host,
                      (seq) => ({
                        kind: 'RemoteRollbackComplete',
                        seq,
                        revertedTo: closureOf(host, 'old'),
                        exitCode: 0,
                        at: now,
                      }),
                      now,
                    );
                  }
                  break;
                default:
                  break;
              }
            }
          }
          // Budget: Activating|Soaking by each host's latest record.
          const latest = new Map<string, HostRolloutState>();
          for (const records of sim.model.hosts.values()) {
            for (const [h, rec] of records) {
              const prev = latest.get(h);
              if (prev === undefined || rec.dispatchedAt >= prev.dispatchedAt) latest.set(h, rec);
            }
          }
          const inFlight = budgetHosts.filter((h) => {
            const st = latest.get(h)?.state;
            return st === 'Activating' || st === 'Soaking';
          }).length;
          expect(inFlight).toBeLessThanOrEqual(f.maxInFlight);
        });
        const replayed = replay(sim.model.log, sim.model.rolloutOptions);
        if (!replayed.ok) throw new Error(replayed.message);
        expect(replayed.model.book).toEqual(sim.model.book);
        expect(replayed.model.hosts).toEqual(sim.model.hosts);
        for (const records of sim.model.hosts.values()) {
          for (const rec of records.values()) expect(hostInvariantViolations(rec)).toEqual([]);
        }
      }),
      { numRuns: 150 },
    );
  });
});
