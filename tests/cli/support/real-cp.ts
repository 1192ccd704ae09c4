// A real control plane (ts/cp via the CP test kit) with a rollout in
// progress, and client flags for an operator certificate minted by
// `nixfleet mint-operator-cert` from the CP's own fleet CA. Shared by the
// real-CP command tests and the tmux end-to-end test.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateContract } from '../../../ts/contracts/index.ts';
import { SimAgent, rfc3339 } from '../../cp/kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from '../../cp/kit/harness.ts';
import { runOp } from './run.ts';

/** The CP, the operator flags and the rollout id. */
export interface RolloutCp {
  readonly t: TestCp;
  readonly flags: readonly string[];
  readonly rolloutId: string;
  readonly agents: readonly SimAgent[];
  /** Whether the CP's /v1/hosts and /v1/rollouts answers follow the api contracts. */
  conforms(): Promise<boolean>;
}

/**
 * Client flags for an operator certificate (`alice` unless named) minted by
 * `nixfleet mint-operator-cert` from the test CP's own fleet CA.
 *
 * @example const flags = await operatorFlags(t); await runOp(['status', ...flags]);
 */
export async function operatorFlags(t: TestCp, name = 'alice'): Promise<string[]> {
  const out = mkdtempSync(join(tmpdir(), 'nixfleet-realcp-'));
  const cert = join(out, 'op.pem');
  const key = join(out, 'op.key');
  const minted = await runOp(
    [
      'mint-operator-cert',
      '--ca-cert',
      t.pki.caCertFile,
      '--ca-key',
      t.pki.caKeyFile,
      '--name',
      name,
      '--out-cert',
      cert,
      '--out-key',
      key,
    ],
    { now: new Date() },
  );
  if (minted.code !== 0) throw new Error(minted.stderr);
  const flags = [
    '--cp-url',
    `https://127.0.0.1:${t.port}`,
    '--ca-cert',
    t.pki.caCertFile,
    '--client-cert',
    cert,
    '--client-key',
    key,
  ];
  return flags;
}

/**
 * Starts the CP with three hosts in two waves and puts h-000 (wave 0) in
 * flight: heartbeats, a planner tick, the dispatch, DispatchAck,
 * ActivationStarted and ActivationComplete — the wire events a real agent sends.
 *
 * @example const cp = await startRolloutCp(); … await cp.t.close();
 */
export async function startRolloutCp(commit: string): Promise<RolloutCp> {
  const t = await startTestCp({
    release: {
      hosts: hostsIn([1, 2]),
      soakMinutes: [30, 0],
      ciCommit: commit,
      signedAt: rfc3339(),
    },
  });
  const flags = await operatorFlags(t);
  const agents = await Promise.all(
    ['h-000', 'h-001', 'h-002'].map(async (h) => new SimAgent(h, await t.client(h))),
  );
  for (const a of agents) await a.heartbeat();
  await t.cp.tick('test');
  const d = await agents[0]?.poll(0);
  if (!d) throw new Error('no dispatch for h-000');
  await agents[0]?.activate(d, { converge: false });
  return {
    t,
    flags,
    rolloutId: `stable@${commit}`,
    agents,
    async conforms() {
      const c = await t.client('operator:probe');
      const get = async (path: string): Promise<unknown> =>
        JSON.parse((await c.request(path)).body.toString());
      return (
        validateContract('api-hosts', await get('/v1/hosts')).ok &&
        validateContract('api-rollouts', await get('/v1/rollouts')).ok
      );
    },
  };
}
