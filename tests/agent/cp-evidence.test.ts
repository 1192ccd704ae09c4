// Evidence on the wire: the ProbeResult events the agent sends to the real
// control plane carry the signed probe-payload object next to its signature,
// so an auditor holding only such an event and the host's OpenSSH public key
// verifies it with `nixfleet verify probe` (the real CLI binary), after
// canonicalising the payload with `nixfleet canonicalize`. A payload edited
// after the fact is refused. The events are taken as the CP accepted them
// (the agent's journal of 2xx-answered bodies).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execProbe, healthChecks, startWorld, until, type World } from './support/world.ts';

const CLI = join(import.meta.dirname, '../../bin/nixfleet.mjs');
let w: World;

beforeAll(async () => {
  w = await startWorld({});
}, 240_000);

afterAll(async () => {
  await w?.close();
});

function cli(
  args: readonly string[],
  stdin = '',
): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    input: stdin,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('probe evidence on the wire', () => {
  it('verifies the payload and signature of a ProbeResult as the CP accepted it', async () => {
    const gen2 = await w.build({
      generation: '2',
      files: {
        'etc/nixfleet/agent/health-checks.json': healthChecks(w.host.name, execProbe('/bin/true')),
      },
    });
    await w.push(gen2);
    const rid = await w.publish(2, gen2);
    const agent = await w.start();
    await until(() => w.record(rid)?.state === 'Converged');
    await until(() => agent.outbox.pending().length === 0);
    // The bodies the CP accepted (2xx), exactly as sent: the agent's journal.
    // (The CP keeps the same evidence in its event_log and serves it as
    // events[].evidence; tests/cp/evidence.test.ts verifies that copy.)
    const journal = readFileSync(join(w.stateDir, 'journal', `${rid}.jsonl`), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const results = journal.filter((e) => e['kind'] === 'ProbeResult');
    expect(results.length).toBeGreaterThan(0);
    const event = results[0] as { signature: string; payload: Record<string, unknown> };
    expect(event.payload).toMatchObject({
      hostname: w.host.name,
      probe: 'alive',
      rolloutId: rid,
      status: 'Pass',
    });

    const dir = join(w.work, 'audit');
    const pub = join(w.work, 'host.pub');
    const sig = join(w.work, 'probe.sig.b64');
    writeFileSync(pub, `${w.host.pubkeyLine}\n`);
    writeFileSync(sig, `${event.signature}\n`);
    const verify = (payload: unknown): number => {
      const canonical = cli(['canonicalize'], JSON.stringify(payload));
      expect(canonical.code).toBe(0);
      const file = `${dir}-${Math.random().toString(16).slice(2)}.json`;
      writeFileSync(file, canonical.stdout);
      const args = ['verify', 'probe', '--payload', file, '--signature', sig, '--pubkey', pub];
      return cli([...args, '--hostname', w.host.name]).code;
    };
    expect(verify(event.payload)).toBe(0);
    expect(verify({ ...event.payload, status: 'Fail' })).toBe(1);
    await agent.stop();
  }, 120_000);
});
