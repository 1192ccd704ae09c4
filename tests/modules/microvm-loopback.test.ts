// The microVM runner's plan (nix/harness/plan.nix) played on loopback, where
// there is no nixpkgs and no KVM (how: microvm-loopback-play.ts). Every
// scenario with a translated kind of its own is played (each ~15-45 s on
// this machine): a skipped play proves nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, play } from './microvm-loopback-play.ts';

afterEach(cleanup);

/** The cp node's scan command of secret-hygiene, with its stdin. */
function cpScan(secrets: readonly string[]): { command: string; input: string } {
  return {
    command: 'nixfleet-harness-scan /var/lib/nixfleet-cp /var/lib/nixfleet-harness',
    input: secrets.map((x) => `${x}\n`).join(''),
  };
}

describe('the microVM runner plan, played on loopback', () => {
  it('smoke: release by the CI helper, agents with module-rendered argv converge', async () => {
    const log = await play('smoke');
    expect(log).toContain('step 0: release g1: ok');
    // The runner file, then the three steps.
    expect(log.filter((l) => l.endsWith(': ok')).length).toBe(4);
  }, 600_000);

  it('corruption-rejection: unsigned push refused, tampered fleet.resolved alerts', async () => {
    const log = await play('corruption-rejection');
    expect(log.some((l) => l.includes('agentRejected') && l.endsWith(': ok'))).toBe(true);
    expect(log.some((l) => l.includes('cpAlert') && l.endsWith(': ok'))).toBe(true);
  }, 600_000);

  it('stale-target: a release signed 3 h ago (the helper passes --now) is refused', async () => {
    const log = await play('stale-target');
    // By the CP as a rollback, then (its state wiped) by every agent as stale.
    expect(log.some((l) => l.includes('CP_ERR_ARTIFACT_ROLLBACK') && l.endsWith(': ok'))).toBe(
      true,
    );
    expect(log.some((l) => l.includes('TRUST_ERR_STALE') && l.endsWith(': ok'))).toBe(true);
  }, 600_000);

  it('budget: two channels at once, budgetsRespected over the CP event log holds', async () => {
    const log = await play('budget');
    expect(log).toContain('invariants: ok');
  }, 600_000);

  it('enroll-replay: a host enrolls with a token minted at run time; its replay gets 409', async () => {
    let state: { issuance: { hostname: string; via: string }[] } = { issuance: [] };
    const log = await play('enroll-replay', (sh) => {
      state = JSON.parse(sh('nixfleet-harness-enroll-state', 30_000).stdout) as typeof state;
      // A second replay is refused too.
      expect(sh('nixfleet-harness-replay-token web-01', 60_000).stdout).toContain(
        'CP_ERR_TOKEN_REPLAYED',
      );
    });
    // Only web-01 enrolled (web-02 has a pre-issued certificate), once.
    expect(state.issuance.map((e) => `${e.hostname}/${e.via}`)).toEqual(['web-01/enroll']);
    expect(log).toContain('web-01 enrolls with a bootstrap token minted now: ok');
    expect(log.filter((l) => l.includes('enrollRefused') && l.endsWith(': ok')).length).toBe(2);
  }, 600_000);

  it('signed-roundtrip: CI = CP-served = host-cached bytes; the auditor verifies all', async () => {
    // The same audit on evidence that breaks it (the gathered host copies, as
    // the invariant left them): each is a violation, never a pass.
    const broken: string[] = [];
    const log = await play('signed-roundtrip', (sh) => {
      const g = '/var/lib/nixfleet-harness/gathered';
      const audit = (): string => {
        const r = sh('nixfleet-harness-roundtrip g1', 300_000);
        return r.ok ? 'HELD' : r.out;
      };
      sh(`printf ' ' >> ${g}/web-01/manifests/*.json`, 10_000);
      sh(`rm ${g}/web-02/evidence/*.evidence.json`, 10_000);
      sh(
        `for f in ${g}/web-01/evidence/*.evidence.json; do jq -c '.payload.tampered = true' "$f" > "$f.t" && mv "$f.t" "$f"; done`,
        10_000,
      );
      broken.push(audit());
      broken.push(sh('nixfleet-harness-roundtrip g9', 60_000).out);
    });
    expect(log).toContain('invariant signedRoundtrip: ok');
    expect(broken[0]).toMatch(
      /web-01: the manifest it verified for stable@\S+ differs from what CI signed/,
    );
    expect(broken[0]).toContain('web-02: no signed probe evidence on the host');
    expect(broken[0]).toMatch(/web-01: auditor refused probe evidence web-01\.\S+\.evidence\.json/);
    expect(broken[0]).not.toContain('web-02: the CP');
    expect(broken[1]).toContain('no release of g9 opened a rollout');
  }, 600_000);

  // The scan itself runs on every push in tests/lib/harness/checks.sh.
  it('secret-hygiene: decrypted on the host only; no plaintext on any node', async () => {
    let leak = { ok: true, out: '' };
    const log = await play('secret-hygiene', (sh, secrets) => {
      // The same scan on the cp node once the CP's state holds a plaintext (base64).
      const plain = secrets.find((x) => x.startsWith('web-01 '))?.split(' ')[2] ?? '';
      expect(plain).toMatch(/^nfsecret-web-01-db-password-[0-9a-f]{48}$/);
      sh(`printf %s ${Buffer.from(plain).toString('base64')} > /var/lib/nixfleet-cp/leak`, 10_000);
      const scan = cpScan(secrets);
      leak = sh(scan.command, 300_000, 'cp', scan.input);
    });
    expect(leak.ok).toBe(false);
    expect(leak.out).toContain('PLAINTEXT of secret web-01 db-password found in ');
    expect(leak.out).toContain('/cp/leak');
    expect(
      log.filter((l) => l.startsWith('invariant secretsConfined on ') && l.endsWith(': ok')).length,
    ).toBe(3);
  }, 600_000);

  it('boot-recovery: an agent killed inside its switch resumes it on restart', async () => {
    const log = await play('boot-recovery');
    expect(log).toContain('step 1: killAgent waits for a switch in flight on web-01: ok');
    expect(log.some((l) => l.includes('hostRecovered') && l.endsWith(': ok'))).toBe(true);
  }, 600_000);

  it('rollback-policy: the failing probe of the closure reverts the canary; invariants hold', async () => {
    const log = await play('rollback-policy');
    expect(log).toContain('invariants: ok');
    expect(log.some((l) => l.includes('hostQuarantined') && l.endsWith(': ok'))).toBe(true);
  }, 600_000);
});
