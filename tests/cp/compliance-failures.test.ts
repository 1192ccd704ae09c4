// Failing compliance controls as operators see them: a real CP ingests a
// host-signed evidence ProbeResult whose sub_results fail two of three
// controls; its probe_failures view keeps one row per failing control, and
// `/v1/rollouts/{id}/trace` names each control with its framework, article
// and the probe's failure text; the real CLI (`status`, `status --json`,
// `watch --once`, `rollout hosts`, `rollout trace`) names the failing control ids.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signProbeResult } from '../../ts/agent/probes/evidence.ts';
import type { ProbeSpec } from '../../ts/agent/probes/config.ts';
import { validateContract, type ApiRolloutTrace } from '../../ts/contracts/index.ts';
import { generatePrivateKey } from '../../ts/trust/index.ts';
import { operatorFlags } from '../cli/support/real-cp.ts';
import { runOp } from '../cli/support/run.ts';
import { SimAgent, rfc3339 } from './kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from './kit/harness.ts';

const COMMIT = 'c1e2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const RID = `stable@${COMMIT}`;
const HOST = 'h-000';
const SPEC = {
  name: 'compliance-nis2',
  kind: 'evidence',
  mode: 'enforce',
  framework: 'nis2',
} as unknown as ProbeSpec;
const SUB = [
  { control_id: 'ssh-no-password', status: 'Fail', framework: 'nis2', article: 'art. 21(2)(j)' },
  { control_id: 'firewall-enabled', status: 'Pass', framework: 'nis2', article: null },
  { control_id: 'audit-logging', status: 'Fail', framework: 'nis2', article: null },
] as const;
const REASON = '2 control(s) failing for nis2';
let t: TestCp;

beforeAll(async () => {
  t = await startTestCp({
    release: { hosts: hostsIn([1]), soakMinutes: [0], ciCommit: COMMIT, signedAt: rfc3339() },
  });
});
afterAll(async () => {
  await t.close();
});

describe('failing compliance controls in the CP views', () => {
  it('keeps one probe_failures row per failing control and names them in the trace', async () => {
    const key = generatePrivateKey('ed25519');
    const a = new SimAgent(HOST, await t.client(HOST));
    expect((await a.heartbeat()).status).toBe(200);
    await t.cp.tick('test');
    const d = await a.poll(5);
    if (d === null) throw new Error('no dispatch');
    const now = rfc3339();
    const send = async (k: Parameters<SimAgent['send']>[0], body: Record<string, unknown>) =>
      (await a.send(k, RID, body as never)).status;
    expect(await send('DispatchAck', { received_at: now, current_closure_at_dispatch: null })).toBe(
      204,
    );
    expect(await send('ActivationStarted', { started_at: now, switch_method: 'sandbox' })).toBe(
      204,
    );
    expect(
      await send('ActivationComplete', {
        completed_at: now,
        observed_current_closure: d.target_closure,
        switch_exit_code: 0,
      }),
    ).toBe(204);
    expect(
      await send('ProbeTopologyDeclared', {
        declared_at: now,
        probes: [{ name: SPEC.name, kind: 'evidence', mode: 'enforce' }],
      }),
    ).toBe(204);
    const signed = signProbeResult({
      spec: SPEC,
      outcome: {
        status: 'Fail',
        failureReason: REASON,
        subResults: SUB.map((s) => ({ ...s })),
        output: { controls: SUB.length },
      },
      at: Date.now(),
      hostname: HOST,
      bootId: '0f4c7c1e-7d0a-4a53-9b1b-5e2d8c3f6a10',
      generation: d.target_closure,
      rolloutId: RID,
      key,
    });
    const observedAt = rfc3339();
    expect(
      await send('ProbeResult', {
        probe_name: SPEC.name,
        status: 'Fail',
        observed_at: observedAt,
        failure_reason: REASON,
        mode: 'enforce',
        sub_results: SUB,
        signature: signed.signatureBase64,
        payload: signed.payload,
      }),
    ).toBe(204);

    const r = await (await t.client('operator:test')).request(`/v1/rollouts/${RID}/trace`);
    expect(r.status).toBe(200);
    const trace = r.json<ApiRolloutTrace>();
    expect(validateContract('api-rollout-trace', trace).ok).toBe(true);
    const rows = trace.probeFailures ?? [];
    expect(
      rows.map((f) => [f.hostname, f.probe, f.controlId, f.framework, f.article, f.reason]),
    ).toEqual([
      [HOST, SPEC.name, 'ssh-no-password', 'nis2', 'art. 21(2)(j)', REASON],
      [HOST, SPEC.name, 'audit-logging', 'nis2', null, REASON],
    ]);
    // Both rows point at the one signed event_log row they came from.
    expect(new Set(rows.map((f) => f.eventLogSeq)).size).toBe(1);
    expect(rows[0]?.eventLogSeq).not.toBeNull();
    expect(rows[0]?.observedAt).toBe(observedAt);
  });

  it('status, status --json, watch, rollout hosts and rollout trace name the failing controls by id', async () => {
    const flags = await operatorFlags(t);
    const text = await runOp(['status', '--no-color', ...flags], { now: new Date() });
    expect(text.stderr).toBe('');
    const controlLines = text.stdout.split('\n').filter((l) => l.includes('✗ '));
    expect(controlLines.some((l) => /h-000\s+✗ audit-logging\s+nis2/.test(l))).toBe(true);
    expect(
      controlLines.some((l) => /h-000\s+✗ ssh-no-password\s+nis2\s+art\. 21\(2\)\(j\)/.test(l)),
    ).toBe(true);
    expect(text.stdout).not.toContain('firewall-enabled');

    const json = await runOp(['status', '--json', ...flags], { now: new Date() });
    const doc = JSON.parse(json.stdout) as {
      hosts: { hostname: string; failingControls: string[] }[];
      failingControls: { controlId: string; framework: string; reason: string }[];
    };
    expect(doc.hosts.find((h) => h.hostname === HOST)?.failingControls).toEqual([
      'audit-logging',
      'ssh-no-password',
    ]);
    expect(doc.failingControls.map((c) => [c.controlId, c.framework, c.reason])).toEqual([
      ['audit-logging', 'nis2', REASON],
      ['ssh-no-password', 'nis2', REASON],
    ]);

    const watch = await runOp(['watch', RID, '--once', '--no-color', ...flags], {
      now: new Date(),
    });
    expect(watch.stdout).toContain('Failing controls (2)');
    expect(watch.stdout).toMatch(/h-000\s+✗ ssh-no-password\s+nis2/);

    const hostsOut = await runOp(['rollout', 'hosts', RID, ...flags], { now: new Date() });
    expect(hostsOut.stdout).toContain(`✗ ${SPEC.name}[audit-logging,ssh-no-password]`);

    const trace = await runOp(['rollout', 'trace', RID, ...flags], { now: new Date() });
    expect(trace.stdout).toContain(
      `h-000  ${SPEC.name}  ssh-no-password (nis2 art. 21(2)(j))  ${REASON}`,
    );
    expect(trace.stdout).toContain(`h-000  ${SPEC.name}  audit-logging (nis2)  ${REASON}`);
  });
});
