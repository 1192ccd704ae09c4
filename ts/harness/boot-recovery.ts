// Boot recovery for the harness (scenario boot-recovery; docs/agent.md,
// "Boot recovery"): makes `killAgent` with `duringActivation` land inside the
// detached switch itself (not merely while the CP says Activating, which
// starts at DispatchAck), records what the host's disk showed at the kill
// and at the restart, and judges the condition `hostRecovered` from the
// CP's event log, the restarted agent's own log and the host's switch
// records. Reads the host's disk as the machine's owner would; never
// reaches into a process.
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiRolloutEvents, HarnessScenario } from '../contracts/index.ts';
import { agentKind, rolloutOf } from './event-log.ts';

type Fault = NonNullable<HarnessScenario['steps'][number]['fault']>;

/** What the runner saw around one host's kill and restart. */
export interface KillRecord {
  readonly host: string;
  /** Switch id (sandbox run/nixfleet-switch/<id>) running when the agent was killed. */
  switchId: string | null;
  /** The switch had still not exited right after the kill. */
  inFlightAfterKill: boolean;
  killedAt: number | null;
  restartedAt: number | null;
  /** Size of the agent's log when it was restarted: later bytes are the new process's. */
  logOffset: number;
}

/** A switch the sandbox backend launched. */
interface SwitchRecord {
  readonly id: string;
  readonly launchedAt: number;
  readonly exitCode: string | null;
}

/** Switches under a host's sandbox, from its run/nixfleet-switch directory. */
export function switchesOf(hostDir: string): SwitchRecord[] {
  const dir = join(hostDir, 'sandbox/run/nixfleet-switch');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.log'))
    .map((n) => {
      const id = n.slice(0, -4);
      let exitCode: string | null = null;
      try {
        exitCode = readFileSync(join(dir, `${id}.status`), 'utf8').trim();
      } catch {
        /* still running */
      }
      return { id, launchedAt: Number(id.split('-')[0]), exitCode };
    });
}

/** The persisted switch handle (agent-state.json `activation`) of a launched, unfinished switch, or null. */
export function switchInFlight(hostDir: string): string | null {
  let saved: { kind?: string; handle?: { id?: string } } | null | undefined;
  try {
    const snap = JSON.parse(readFileSync(join(hostDir, 'agent-state.json'), 'utf8')) as {
      activation?: typeof saved;
    };
    saved = snap.activation;
  } catch {
    return null;
  }
  if (!saved) return null;
  const id = saved.kind === 'switch' ? saved.handle?.id : undefined;
  if (!id) return null;
  const s = switchesOf(hostDir).find((x) => x.id === id);
  return s && s.exitCode === null ? id : null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Kill/restart bookkeeping of a run, plus the precise timing of `duringActivation` kills. */
export class RecoveryLedger {
  readonly records = new Map<string, KillRecord>();

  constructor(
    private readonly hostDir: (host: string) => string,
    private readonly agentLog: (host: string) => string,
  ) {}

  /**
   * Before the runner's own fault: for a `killAgent` during activation, wait
   * until each target's switch is launched, persisted and still running.
   */
  async before(fault: Fault, timeoutMs = 120_000): Promise<void> {
    if (fault.kind !== 'killAgent' || !fault.duringActivation) return;
    for (const h of fault.hosts ?? []) {
      const deadline = Date.now() + timeoutMs;
      let id = switchInFlight(this.hostDir(h));
      while (id === null) {
        if (Date.now() > deadline)
          throw new Error(
            `killAgent during activation: no switch of ${h} in flight after ${timeoutMs / 1000} s`,
          );
        await sleep(50);
        id = switchInFlight(this.hostDir(h));
      }
      this.records.set(h, {
        host: h,
        switchId: id,
        inFlightAfterKill: false,
        killedAt: null,
        restartedAt: null,
        logOffset: 0,
      });
    }
  }

  /** After the runner's fault: when the kill landed, and where the restarted agent's log starts. */
  after(fault: Fault): void {
    const now = Date.now();
    for (const h of fault.hosts ?? []) {
      const r = this.records.get(h);
      if (!r) continue;
      if (fault.kind === 'killAgent') {
        r.killedAt = now;
        r.inFlightAfterKill =
          r.switchId !== null &&
          switchesOf(this.hostDir(h)).find((s) => s.id === r.switchId)?.exitCode === null;
      }
      if (fault.kind === 'restartAgent') r.restartedAt = now;
    }
  }

  /** Just before a restart: the log offset where the new process begins. */
  beforeRestart(fault: Fault): void {
    if (fault.kind !== 'restartAgent') return;
    for (const h of fault.hosts ?? []) {
      const r = this.records.get(h);
      if (r) r.logOffset = fileSize(this.agentLog(h));
    }
  }

  /** The restarted process's log lines (JSON), from the recorded offset. */
  private linesSinceRestart(r: KillRecord): Record<string, unknown>[] {
    const path = this.agentLog(r.host);
    const size = fileSize(path);
    if (size <= r.logOffset) return [];
    const buf = Buffer.alloc(size - r.logOffset);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, r.logOffset);
    } finally {
      closeSync(fd);
    }
    const out: Record<string, unknown>[] = [];
    for (const line of buf.toString('utf8').split('\n')) {
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        /* not a log line */
      }
    }
    return out;
  }

  /**
   * Condition `hostRecovered`: each host was killed while its switch ran
   * (and the switch outlived the agent), was restarted, its new process ran
   * boot recovery on an Activating record, resumed that same switch (no new
   * launch after the restart), and the CP received the host's
   * ActivationComplete and Converged for that rollout after the restart —
   * the events the CP would otherwise have missed. No record is a failure.
   */
  check(
    hosts: readonly string[],
    events: ApiRolloutEvents['events'],
  ): { ok: boolean; detail: string } {
    if (hosts.length === 0) return { ok: false, detail: 'hostRecovered names no host' };
    const bad: string[] = [];
    const good: string[] = [];
    for (const h of hosts) {
      const r = this.records.get(h);
      if (!r || r.switchId === null) {
        bad.push(`${h}: no kill during a switch recorded (killAgent with duringActivation)`);
        continue;
      }
      if (!r.inFlightAfterKill) {
        bad.push(
          `${h}: switch ${r.switchId} had already exited when the agent died — the kill missed the activation`,
        );
        continue;
      }
      if (r.restartedAt === null) {
        bad.push(`${h}: killed but never restarted`);
        continue;
      }
      const recovery = this.linesSinceRestart(r).find((l) => l['msg'] === 'boot recovery');
      if (
        !recovery ||
        recovery['state'] !== 'Activating' ||
        typeof recovery['rolloutId'] !== 'string'
      ) {
        bad.push(
          `${h}: the restarted agent logged no boot recovery of an Activating record (${recovery ? JSON.stringify({ state: recovery['state'], rolloutId: recovery['rolloutId'] }) : 'none'})`,
        );
        continue;
      }
      const rid = recovery['rolloutId'];
      const after = (kind: string) =>
        events.find(
          (e) =>
            e.hostname === h &&
            rolloutOf(e) === rid &&
            agentKind(e) === kind &&
            Date.parse(e.at) >= r.restartedAt!,
        );
      const complete = after('ActivationComplete');
      const converged = after('Converged');
      if (!complete || !converged) {
        bad.push(
          `${h}: after the restart the CP has ${complete ? '' : 'no ActivationComplete'}${!complete && !converged ? ' and ' : ''}${converged ? '' : 'no Converged'} for ${rid}`,
        );
        continue;
      }
      const sw = switchesOf(this.hostDir(h));
      const resumed = sw.find((s) => s.id === r.switchId);
      const refired = sw.filter(
        (s) => s.launchedAt >= r.restartedAt! && s.launchedAt <= Date.parse(complete.at),
      );
      if (resumed?.exitCode !== '0' || refired.length > 0) {
        bad.push(
          `${h}: the interrupted switch ${r.switchId} exited ${resumed?.exitCode ?? 'never'}; ${refired.length} switch(es) launched after the restart (recovery must resume the persisted switch, not fire another)`,
        );
        continue;
      }
      good.push(
        `${h}: killed inside switch ${r.switchId}, recovered ${rid} (ActivationComplete ${((Date.parse(complete.at) - r.restartedAt) / 1000).toFixed(1)} s after the restart, then Converged; switch resumed, not re-fired)`,
      );
    }
    return bad.length === 0
      ? { ok: true, detail: good.join('; ') }
      : { ok: false, detail: bad.join('; ') };
  }
}
