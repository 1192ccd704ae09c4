// The mutator against real SQLite storage (commit thread): acknowledgement
// only after durability, one-deep commit pipelining in order, and a failed
// commit refusing the batch that ran on top of it. Commits are held at a
// gate (a decorator around the real storage) so the overlap is deterministic.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log.ts';
import { CpMetrics } from '../metrics.ts';
import { openSqliteStorage } from '../storage/sqlite.ts';
import type { EventStream, Storage, WriteOp } from '../storage/types.ts';
import { hostsView } from '../routes/views.ts';
import type { Batch } from './batch.ts';
import { parseConfig } from '../config.ts';
import { registerStateMetrics } from '../state-metrics.ts';
import { coreTimingsOf, type RuntimeDeps } from './deps.ts';
import { Mutator } from './mutator.ts';
import { sweepLiveness } from './reconcile.ts';
import { CpState } from './state.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Real storage whose commits wait until released, in order. */
function gated(inner: Storage): { storage: Storage; release: () => void; started: () => number } {
  const waiting: (() => void)[] = [];
  let started = 0;
  const storage: Storage = Object.create(inner) as Storage;
  storage.commit = async (ops: readonly WriteOp[]) => {
    started += 1;
    await new Promise<void>((r) => waiting.push(r));
    return inner.commit(ops);
  };
  return {
    storage,
    release: () => waiting.shift()?.(),
    started: () => started,
  };
}

async function setup(): Promise<{
  mutator: Mutator;
  state: CpState;
  gate: ReturnType<typeof gated>;
  rows: () => string[];
}> {
  const dir = mkdtempSync(join(tmpdir(), 'cp-mutator-'));
  const path = join(dir, 'state.db');
  const real = openSqliteStorage(path);
  await real.migrate();
  const gate = gated(real);
  const state = new CpState(3_600_000);
  await state.loadFrom(real);
  const mutator = new Mutator({
    state,
    storage: gate.storage,
    log: silentLogger(),
    metrics: new CpMetrics(),
    groupCommitMs: 0,
  });
  const reader = new Database(path, { readonly: true });
  cleanups.push(async () => {
    reader.close();
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const rows = (): string[] =>
    (reader.prepare('SELECT kind FROM event_log ORDER BY seq').all() as { kind: string }[]).map(
      (r) => r.kind,
    );
  return { mutator, state, gate, rows };
}

const append =
  (kind: string) =>
  (b: Batch): string => {
    b.appendEvent({
      recordedAt: 0,
      stream: 'cp',
      rolloutId: null,
      hostname: null,
      agentSeq: null,
      kind,
      body: {},
    });
    return kind;
  };

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await tick();
  expect(cond()).toBe(true);
}

describe('Mutator', () => {
  it('acknowledges a command only once its writes are durable', async () => {
    const { mutator, gate, rows } = await setup();
    let settled = false;
    const p = mutator.submit(append('A')).then((v) => ((settled = true), v));
    await until(() => gate.started() === 1);
    await tick();
    expect(settled).toBe(false);
    expect(rows()).toEqual([]);
    gate.release();
    expect(await p).toBe('A');
    expect(rows()).toEqual(['A']);
  });

  it('runs the next batch during a commit, commits in order, and holds a third until one settles', async () => {
    const { mutator, gate, rows } = await setup();
    const ran: string[] = [];
    const cmd = (k: string) => (b: Batch) => (ran.push(k), append(k)(b));
    const a = mutator.submit(cmd('A'));
    await until(() => gate.started() === 1);
    const b = mutator.submit(cmd('B'));
    await until(() => ran.includes('B')); // B ran while A's commit was in flight…
    const c = mutator.submit(cmd('C'));
    await tick();
    await tick();
    expect(ran).toEqual(['A', 'B']); // …but C waits: two batches ahead of storage at most.
    expect(gate.started()).toBe(1); // B is sent only after A is durable.
    gate.release();
    await a;
    await until(() => gate.started() === 2 && ran.includes('C'));
    gate.release();
    await b;
    await until(() => gate.started() === 3);
    gate.release();
    await c;
    expect(rows()).toEqual(['A', 'B', 'C']);
    await mutator.idle();
  });

  it('refuses the batch that ran on top of a failed commit, reloads, then carries on', async () => {
    const { mutator, state, gate, rows } = await setup();
    // A: an in-memory change, and a row the schema refuses (stream CHECK) → the commit fails.
    const a = mutator.submit((b) => {
      append('A')(b);
      state.noteHeartbeat(b, {
        hostname: 'h1',
        lastHeartbeatAt: 0,
        currentClosure: null,
        agentVersion: null,
        uptimeSecs: null,
      });
      b.appendEvent({
        recordedAt: 0,
        stream: 'no-such-stream' as EventStream,
        rolloutId: null,
        hostname: null,
        agentSeq: null,
        kind: 'Bad',
        body: {},
      });
    });
    await until(() => gate.started() === 1);
    // B runs on top of A's in-memory state (it sees A's change).
    let bSaw: boolean | null = null;
    const b = mutator.submit((bt) => (append('B')(bt), (bSaw = state.liveness.has('h1'))));
    await until(() => bSaw !== null);
    expect(bSaw).toBe(true);
    gate.release();
    await expect(a).rejects.toMatchObject({ code: 'CP_ERR_STORAGE' });
    await expect(b).rejects.toMatchObject({
      code: 'CP_ERR_STORAGE',
      message: expect.stringContaining('earlier group commit failed') as unknown,
    });
    expect(gate.started()).toBe(1); // B never reached storage
    // The reload dropped A's in-memory write; the next command sees durable state only.
    const c = mutator.submit((bt) => (append('C')(bt), state.liveness.has('h1')));
    await until(() => gate.started() === 2);
    gate.release();
    expect(await c).toBe(false);
    expect(rows()).toEqual(['C']);
  });

  it('storage lost: refuses every command until a reload succeeds, never acknowledging from memory', async () => {
    const { state, gate, rows } = await setup();
    // The database goes away: the commit fails, and so does the reload after it.
    let down = true;
    const inner = gate.storage;
    const lost: Storage = Object.create(inner) as Storage;
    lost.commit = (ops) =>
      down ? Promise.reject(new Error('connection refused')) : inner.commit(ops);
    lost.load = () => (down ? Promise.reject(new Error('connection refused')) : inner.load());
    const m = new Mutator({
      state,
      storage: lost,
      log: silentLogger(),
      metrics: new CpMetrics(),
      groupCommitMs: 0,
    });
    const hb = (b: Batch): boolean => {
      const seen = state.liveness.has('h1');
      state.noteHeartbeat(b, {
        hostname: 'h1',
        lastHeartbeatAt: 0,
        currentClosure: null,
        agentVersion: null,
        uptimeSecs: null,
      });
      append('HB')(b);
      return seen;
    };
    await expect(m.submit(hb)).rejects.toMatchObject({ code: 'CP_ERR_STORAGE' });
    // Memory still holds the refused write; a retry must not be answered from it.
    await expect(m.submit(hb)).rejects.toMatchObject({ code: 'CP_ERR_STORAGE' });
    down = false;
    const next = m.submit(hb);
    await until(() => gate.started() === 1);
    gate.release();
    expect(await next).toBe(false); // ran on the reloaded (durable) state
    expect(rows()).toEqual(['HB']);
  });

  it('a command that throws half-way: its memory changes are undone by a reload, later commands wait for it', async () => {
    const { mutator, state, gate, rows } = await setup();
    const liveness = (h: string) => ({
      hostname: h,
      lastHeartbeatAt: 0,
      currentClosure: null,
      agentVersion: null,
      uptimeSecs: null,
    });
    // One batch: A is fine and durable; X changes memory, then hits a bug;
    // Y (queued behind X) must not see X's half-done change.
    let ySaw: boolean | null = null;
    const a = mutator.submit((b) => {
      append('A')(b);
      state.noteHeartbeat(b, liveness('a'));
    });
    const x = mutator.submit((b) => {
      append('X')(b);
      state.noteHeartbeat(b, liveness('x'));
      throw new TypeError('a bug half-way through a command');
    });
    const y = mutator.submit((b) => (append('Y')(b), (ySaw = state.liveness.has('x'))));
    await until(() => gate.started() === 1);
    expect(ySaw).toBeNull(); // Y was put back: it waits for the reload
    gate.release();
    await a;
    await expect(x).rejects.toThrow(TypeError);
    await until(() => gate.started() === 2);
    gate.release();
    await y;
    expect(ySaw).toBe(false);
    expect(state.liveness.has('x')).toBe(false); // undone by the reload
    expect(state.liveness.has('a')).toBe(true); // durable, so reloaded
    expect(rows()).toEqual(['A', 'Y']);
  });

  it('an operator view shows a write only once its commit is durable, never one a failed commit discards', async () => {
    const { mutator, state, gate } = await setup();
    const row = (h: string) => ({
      hostname: h,
      lastHeartbeatAt: 0,
      currentClosure: null,
      agentVersion: null,
      uptimeSecs: null,
    });
    const listed = (): unknown => hostsView(state.committed, 0).undeclared;
    // A: a heartbeat, and a row the schema refuses (stream CHECK) → the commit fails.
    const a = mutator.submit((b) => {
      state.noteHeartbeat(b, row('lost'));
      b.appendEvent({
        recordedAt: 0,
        stream: 'no-such-stream' as EventStream,
        rolloutId: null,
        hostname: null,
        agentSeq: null,
        kind: 'Bad',
        body: {},
      });
    });
    await until(() => gate.started() === 1);
    expect(state.liveness.has('lost')).toBe(true); // the mutator runs ahead of the disk…
    expect(listed()).toEqual([]); // …the operator does not
    gate.release();
    await expect(a).rejects.toMatchObject({ code: 'CP_ERR_STORAGE' });
    expect(listed()).toEqual([]);
    // A write that does become durable is shown once it is, not before.
    const b = mutator.submit((bt) => state.noteHeartbeat(bt, row('kept')));
    await until(() => gate.started() === 2);
    expect(listed()).toEqual([]);
    gate.release();
    await b;
    expect(listed()).toEqual(['kept']);
  });

  it('the host gauges read the committed view: a sweep shows once its batch is durable', async () => {
    const { mutator, state, gate } = await setup();
    const metrics = new CpMetrics();
    registerStateMetrics(metrics, () => state.committed);
    const timings = parseConfig({ db: ':memory:' }).timings;
    const deps: RuntimeDeps = {
      state,
      log: silentLogger(),
      metrics,
      timings,
      coreTimings: coreTimingsOf(timings),
      requestTick: () => undefined,
      notifyDispatch: () => undefined,
    };
    const gauge = (name: string): string | undefined =>
      metrics
        .render()
        .split('\n')
        .find((l) => l.startsWith(`${name} `));
    const hb = mutator.submit((b) =>
      state.noteHeartbeat(b, {
        hostname: 'web-01',
        lastHeartbeatAt: 0,
        currentClosure: null,
        agentVersion: null,
        uptimeSecs: null,
      }),
    );
    await until(() => gate.started() === 1);
    // The sweep runs on top of the heartbeat whose commit is in flight.
    const sweep = mutator.submit(() => sweepLiveness(deps, { now: 86_400_000 }));
    await until(() => state.unreachable.has('web-01'));
    expect(gauge('nixfleet_cp_hosts_seen')).toBe('nixfleet_cp_hosts_seen 0');
    expect(gauge('nixfleet_cp_hosts_unreachable')).toBe('nixfleet_cp_hosts_unreachable 0');
    gate.release();
    await hb;
    expect(await sweep).toEqual(['web-01']);
    expect(gauge('nixfleet_cp_hosts_seen')).toBe('nixfleet_cp_hosts_seen 1');
    expect(gauge('nixfleet_cp_hosts_unreachable')).toBe('nixfleet_cp_hosts_unreachable 1');
  });
});
