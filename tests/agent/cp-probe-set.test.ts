// The agent as the last line of defence for probes: the health-checks.json
// it finds in the closure must be exactly the probe set the rollout manifest
// signs for the host. Absent (while probes are signed), different, or with
// no signed set to compare against, it is never run as "no probes": the
// reserved enforce probe nixfleet-probe-set fails with AGENT_ERR_PROBES_*,
// the real CP sees the failure, and the signed failure policy applies
// (rollback-and-halt here). An absent file with an empty signed set is an
// empty probe set, and the host converges.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningAgent } from '../../ts/agent/index.ts';
import type { BuiltToplevel } from '../support/nix-store.ts';
import { execProbe, healthChecks, startWorld, until, type World } from './support/world.ts';

let w: World;
let agent: RunningAgent | undefined;

beforeAll(async () => {
  w = await startWorld({});
}, 240_000);

afterAll(async () => {
  await w?.close();
});

const fileWith = (command: string) => ({
  'etc/nixfleet/agent/health-checks.json': healthChecks(w.host.name, execProbe(command)),
});

async function rollOut(
  n: number,
  generation: string,
  files: Record<string, string>,
  probes: Record<string, unknown> | null | undefined,
): Promise<{ rid: string; target: BuiltToplevel }> {
  const target = await w.build({ generation, files });
  await w.push(target);
  const rid = await w.publish(n, target, {
    onHealthFailure: 'rollback-and-halt',
    ...(probes === undefined ? {} : { probes }),
  });
  // Enrollment needs the signed nonce list, so the agent starts after the first release.
  agent ??= await w.start({ sustainedFailureThreshold: '1s' });
  return { rid, target };
}

/** The host reverted on its own, because the probe-set probe failed with `code`. */
async function expectRefused(rid: string, code: RegExp): Promise<void> {
  await until(() => w.record(rid)?.state === 'Reverted', 90_000);
  const rec = w.record(rid)!;
  expect(rec.failureReason).toMatch(/sustained enforce-probe failure: .*nixfleet-probe-set/);
  const probe = rec.probes['nixfleet-probe-set'];
  expect(probe).toMatchObject({ status: 'Fail', mode: 'enforce' });
  expect(probe?.failureReason).toMatch(code);
  expect(rec.probeTopology?.map((p) => p.name)).toContain('nixfleet-probe-set');
  expect(await agent!.backend.currentSystem()).toBe(rec.currentClosureAtDispatch);
}

describe('the agent checks the closure probe file against the signed probe set', () => {
  it('refuses a closure without health-checks.json while the manifest signs an enforce probe', async () => {
    const { rid } = await rollOut(2, 'nofile', {}, { alive: execProbe('/bin/false') });
    await expectRefused(rid, /^AGENT_ERR_PROBES_MISMATCH: .*does not exist.*missing: alive/);
  }, 120_000);

  it('refuses a probe file that differs from the signed set', async () => {
    const { rid } = await rollOut(3, 'differs', fileWith('/bin/true'), {
      alive: execProbe('/bin/false'),
    });
    await expectRefused(rid, /^AGENT_ERR_PROBES_MISMATCH: .*differs.*different: alive/);
    // The closure's own probe still ran: the refusal is not a silent empty set.
    expect(w.record(rid)?.probes['alive']?.status).toBe('Pass');
  }, 120_000);

  it('refuses when the manifest signs no probe set for the host', async () => {
    const { rid } = await rollOut(4, 'unsigned', fileWith('/bin/true'), null);
    await expectRefused(rid, /^AGENT_ERR_PROBES_UNSIGNED: .*signs no probe set/);
  }, 120_000);

  it('runs the signed set when the file matches, and an absent file with an empty signed set', async () => {
    const a = await rollOut(5, 'matches', fileWith('/bin/true'), undefined);
    await until(() => w.record(a.rid)?.state === 'Converged', 90_000);
    expect(Object.keys(w.record(a.rid)!.probes)).toEqual(['alive']);
    const b = await rollOut(6, 'empty', {}, {});
    await until(() => w.record(b.rid)?.state === 'Converged', 90_000);
    expect(w.record(b.rid)!.probeTopology).toEqual([]);
  }, 180_000);
});
