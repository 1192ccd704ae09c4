// The harness's operator actions: `nixfleet rollout <action> --channel <c>
// --reason <r>` run as a separate process with the certificate of the
// step's operator (operator:harness unless the step says), exactly as an operator types it. Exit 0 is required unless the
// step names the CP code the action must be refused with (exit 4).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HarnessScenario } from '../contracts/index.ts';
import { ScenarioFailure } from './failure.ts';
import type { FleetPki } from './pki.ts';
import { REPO } from './publish.ts';

const run = promisify(execFile);

/**
 * Waits until the CP has opened the channel's rollout of the latest release,
 * so a channel-targeted action acts on the release the scenario just
 * published and never races its adoption (artifact poll, verification).
 */
export async function untilAdopted(
  rolloutIds: () => Promise<ReadonlySet<string> | Error>,
  released: readonly string[],
  channel: string,
  timeoutSecs = 60,
): Promise<void> {
  const want = released.filter((id) => id.startsWith(`${channel}@`));
  const deadline = Date.now() + timeoutSecs * 1000;
  for (;;) {
    const have = await rolloutIds();
    if (!(have instanceof Error) && want.every((id) => have.has(id))) return;
    if (Date.now() > deadline) {
      const why = have instanceof Error ? `CP unreachable: ${have.message}` : 'not opened';
      throw new ScenarioFailure(
        `operator step: the released rollout ${want.join(', ')} of ${channel} is ${why} after ${timeoutSecs} s`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One operator step of a scenario. */
export type OperatorStep = NonNullable<HarnessScenario['steps'][number]['operator']>;

/**
 * Runs the action; throws ScenarioFailure when the outcome is not the expected one.
 *
 * @example await operatorStep({ action: 'pause', channel: 'stable', reason: 'db', expectCode: null }, client, note)
 */
export async function operatorStep(
  step: OperatorStep,
  client: { cpUrl: string; caCert: string; clientCert: string; clientKey: string },
  note: (line: string) => void,
  fx?: { readonly pki: FleetPki; readonly operator: { certFile: string; keyFile: string } },
): Promise<string> {
  const as = step.as ?? 'harness';
  if (fx !== undefined) {
    const cert =
      as === 'harness' ? fx.operator : await fx.pki.client(`operator:${as}`, `operator-${as}`);
    client = { ...client, clientCert: cert.certFile, clientKey: cert.keyFile };
  }
  note(`operator:${step.as ?? 'harness'} ${step.action} on ${step.channel ?? 'stable'}`);
  const args = [
    join(REPO, 'bin/nixfleet.mjs'),
    'rollout',
    step.action,
    '--channel',
    step.channel ?? 'stable',
    '--reason',
    step.reason ?? 'harness',
    '--cp-url',
    client.cpUrl,
    '--ca-cert',
    client.caCert,
    '--client-cert',
    client.clientCert,
    '--client-key',
    client.clientKey,
  ];
  let code = 0;
  let out = '';
  try {
    const r = await run(process.execPath, args, { cwd: REPO, timeout: 60_000 });
    out = r.stdout.trim();
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string; message: string };
    code = typeof x.code === 'number' ? x.code : -1;
    out = (x.stderr || x.stdout || x.message).trim();
  }
  const expect = step.expectCode ?? null;
  if (expect === null && code !== 0) {
    throw new ScenarioFailure(
      `nixfleet rollout ${step.action} exited ${code}: ${out.slice(0, 400)}`,
    );
  }
  if (expect !== null && (code !== 4 || !out.includes(expect))) {
    throw new ScenarioFailure(
      `nixfleet rollout ${step.action} should be refused with ${expect}, exited ${code}: ${out.slice(0, 400)}`,
    );
  }
  note(`operator: ${out.split('\n')[0] ?? ''}`);
  return out;
}
