import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateContract } from '../../ts/contracts/index.ts';
import { startFakeCp, type FakeCp, type Routes } from './support/fake-cp.ts';
import {
  channel,
  failedRollout,
  hostsDoc,
  midRollout,
  rolloutsDoc,
} from './support/fleet-fixtures.ts';
import { makeTestPki, type TestPki } from './support/pki.ts';
import { runOp, runProcess } from './support/run.ts';

let dir: string;
let pki: TestPki;
let cp: FakeCp;

function routesOf(s: ReturnType<typeof midRollout>): Routes {
  return {
    '/v1/hosts': { json: s.hosts },
    '/v1/rollouts': { json: s.rollouts },
    '/v1/channels/stable': { json: s.channel },
    [`/v1/rollouts/${s.rollouts.rollouts[0]?.rolloutId}/trace`]: { json: s.trace },
  };
}

/** Flags pointing at the fake CP. */
const flags = (): string[] => [
  '--cp-url',
  cp.url,
  '--ca-cert',
  pki.caCert,
  '--client-cert',
  pki.clientCert,
  '--client-key',
  pki.clientKey,
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nixfleet-status-'));
  pki = await makeTestPki(dir);
  cp = await startFakeCp(pki, routesOf(midRollout()));
});
afterAll(async () => cp.close());

describe('nixfleet status against an mTLS HTTP/2 CP', () => {
  it('prints the fleet table as plain text when stdout is not a TTY (exit 0)', async () => {
    cp.setRoutes(routesOf(midRollout()));
    const r = await runOp(['status', ...flags()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`NixFleet ${cp.url} · 4 hosts: 1 converged, 2 in flight, 1 queued`);
    expect(r.stdout).toMatch(/web-1\s+▶ in flight\s+Pending 12s/);
    expect(r.stdout.includes('\u001b[')).toBe(false);
    expect(cp.requests).toEqual(
      expect.arrayContaining(['/v1/hosts', '/v1/rollouts', '/v1/channels/stable']),
    );
  });

  it('--json is the hosts document with labels (still a valid api-hosts value)', async () => {
    const r = await runOp(['status', '--json', ...flags()]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      hosts: { hostname: string; status: { label: string } }[];
      channels: { freshness: unknown }[];
    };
    expect(validateContract('api-hosts', doc).ok).toBe(true);
    expect(doc.hosts.map((h) => [h.hostname, h.status.label])).toEqual([
      ['canary-1', 'Converged'],
      ['etcd-1', 'InFlight'], // soaking on the declared closure: still in flight
      ['etcd-2', 'Queued'],
      ['web-1', 'InFlight'],
    ]);
    expect(doc.channels[0]?.freshness).toEqual({ ageSeconds: 720, stale: false });
  });

  it('exits 1 when a host failed or a rollout reverted', async () => {
    cp.setRoutes(routesOf(failedRollout()));
    const r = await runOp(['status', ...flags()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/web-2\s+✗ failed\s+reverted 4m/);
    expect((await runOp(['status', '--json', ...flags()])).code).toBe(1);
  });

  it('an empty fleet checked nothing: exit 1', async () => {
    cp.setRoutes({
      '/v1/hosts': { json: hostsDoc([]) },
      '/v1/rollouts': { json: rolloutsDoc([]) },
    });
    const r = await runOp(['status', ...flags()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('No hosts');
    expect(r.stdout).toContain('✗ needs attention: 1 no hosts');
  });

  it('a contract-violating body is exit 5 with the offending path', async () => {
    const bad = {
      ...midRollout().hosts,
      hosts: [{ ...midRollout().hosts.hosts[0], reachable: 'yes' }],
    };
    cp.setRoutes({ ...routesOf(midRollout()), '/v1/hosts': { json: bad } });
    const r = await runOp(['status', ...flags()]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('CLI_ERR_CP_BAD_RESPONSE');
    expect(r.stderr).toContain('violates the api-hosts contract');
    expect(r.stderr).toContain('hosts[0].reachable');
    expect(r.stdout).toBe('');
  });

  it('garbage is exit 5; an error body without the contract is exit 5', async () => {
    cp.setRoutes({ ...routesOf(midRollout()), '/v1/hosts': { raw: '<html>proxy</html>' } });
    let r = await runOp(['status', ...flags()]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('answer is not JSON ("<html>proxy</html>")');
    cp.setRoutes({ ...routesOf(midRollout()), '/v1/hosts': { status: 502, raw: 'bad gateway' } });
    r = await runOp(['status', ...flags()]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('502 without the api-error contract body ("bad gateway")');
  });

  it('a typed CP error is exit 4 with the CP code and a hint', async () => {
    cp.setRoutes({
      ...routesOf(midRollout()),
      '/v1/hosts': {
        status: 503,
        json: {
          error: {
            code: 'CP_ERR_NOT_READY',
            message: 'no verified fleet yet',
            status: 503,
            issues: [],
          },
        },
      },
    });
    const r = await runOp(['status', ...flags()]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(
      'CLI_ERR_CP_REFUSED: GET /v1/hosts: 503 CP_ERR_NOT_READY: no verified fleet yet',
    );
    expect(r.stderr).toContain('hint: the CP is starting');
  });

  it('a CP that does not answer in time is exit 3', async () => {
    cp.setRoutes({ ...routesOf(midRollout()), '/v1/hosts': { json: {}, delayMs: 3000 } });
    const r = await runOp(['status', '--timeout', '300ms', ...flags()]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('CLI_ERR_CP_UNREACHABLE');
    expect(r.stderr).toContain('control plane at https://127.0.0.1:');
    expect(r.stderr).toMatch(/gave no answer within 300ms \(GET \/v1\/hosts\)/);
  });

  it('an unreachable CP is exit 3 with a hint', async () => {
    const args = flags();
    args[1] = 'https://127.0.0.1:1';
    const r = await runOp(['status', ...args]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /CLI_ERR_CP_UNREACHABLE: control plane not reachable at https:\/\/127\.0\.0\.1:1: connection refused \(GET \/v1\/hosts\)\n/,
    );
    expect(r.stderr).toContain('hint: is the control plane running');
  });

  it('a CP certificate from another CA is exit 3 (TLS), never a silent success', async () => {
    const other = await makeTestPki(mkdtempSync(join(tmpdir(), 'nixfleet-other-')), {
      caCn: 'other CA',
    });
    const args = flags();
    args[3] = other.caCert;
    const r = await runOp(['status', ...args]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/control plane not reachable at https:\/\/\S+: TLS failed: /);
    expect(r.stderr).toContain('hint: ca_cert must be the fleet CA');
  });

  it('missing config fails closed with the config init hint (exit 2)', async () => {
    const r = await runOp(['status'], {
      env: { HOME: mkdtempSync(join(tmpdir(), 'nixfleet-home-')) },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CLI_ERR_CONFIG_MISSING');
    expect(r.stderr).toContain('hint: run `nixfleet config init');
    expect(r.stdout).toBe('');
  });

  it('malformed config.toml is exit 2 naming the file and line', async () => {
    const home = mkdtempSync(join(tmpdir(), 'nixfleet-home-'));
    const path = join(home, 'config.toml');
    writeFileSync(path, 'cp_url = "https://cp\nca_cert = 3\n');
    const r = await runOp(['status', '--config', path], { env: { HOME: home } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`CLI_ERR_CONFIG_MALFORMED: ${path}: not valid TOML (line 1`);
  });

  it('an unreadable client key is exit 2 before any network I/O', async () => {
    const args = flags();
    args[7] = join(dir, 'missing.key');
    const before = cp.requests.length;
    const r = await runOp(['status', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CLI_ERR_KEY: cannot read the client key');
    expect(cp.requests.length).toBe(before);
  });

  /**
   * Hosts routes that serve the mid-rollout fleet for `same` polls, the failed one for
   * `changed` polls, then a typed 503 (the CP went away): counts the polls.
   */
  function changingFleet(same: number, changed: number): { polls: () => number } {
    let polls = 0;
    const mid = midRollout();
    const failed = failedRollout();
    cp.setRoutes({
      ...routesOf(mid),
      '/v1/hosts': () => {
        polls++;
        if (polls <= same) return { json: mid.hosts };
        if (polls <= same + changed) return { json: failed.hosts };
        return {
          status: 503,
          json: {
            error: { code: 'CP_ERR_NOT_READY', message: 'restarting', status: 503, issues: [] },
          },
        };
      },
    });
    return { polls: () => polls };
  }

  it('--watch without a terminal prints the table again only when it changes, and ends with the CP', async () => {
    // Polls 1–3 are the same fleet (no new frame), 4–5 a failed one (one frame), then the
    // CP stops serving hosts: the command ends the way a one-shot status would.
    const fleet = changingFleet(3, 2);
    const r = await runOp(['status', '--watch', '--interval', '20ms', ...flags()]);
    const frames = r.stdout.split(/\n\n(?=NixFleet )/);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toContain('4 hosts: 1 converged, 2 in flight, 1 queued');
    expect(frames[1]).not.toEqual(frames[0]);
    expect(fleet.polls()).toBe(6);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('CLI_ERR_CP_REFUSED: GET /v1/hosts: 503 CP_ERR_NOT_READY');
  });

  it('--watch --json prints a JSON line per change (each a valid api-hosts value)', async () => {
    changingFleet(2, 1);
    const r = await runOp(['status', '--watch', '--json', '--interval', '20ms', ...flags()]);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(validateContract('api-hosts', JSON.parse(l)).ok).toBe(true);
    expect(r.code).toBe(4);
  });

  it('bad flags are exit 2', async () => {
    expect((await runOp(['status', '--no-such-flag'])).code).toBe(2);
    const r = await runOp(['status', '--timeout', 'soon', ...flags()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timeout: "soon" is not a duration; write e.g. 90s, 1m30s');
    const neg = await runOp(['status', '--timeout', '-1s', ...flags()]);
    expect(neg.code).toBe(2);
    expect(neg.stderr).toContain('--timeout: "-1s" is negative');
  });

  it('config from NIXFLEET_* env works in a real process, and the channel header shows staleness', async () => {
    cp.setRoutes({
      ...routesOf(midRollout()),
      '/v1/channels/stable': { json: channel({ artifactSignedAt: null }) },
    });
    const r = await runProcess(['status', '--no-color'], {
      env: {
        PATH: process.env['PATH'],
        HOME: mkdtempSync(join(tmpdir(), 'nixfleet-home-')),
        NIXFLEET_CP_URL: cp.url,
        NIXFLEET_CA_CERT: pki.caCert,
        NIXFLEET_CLIENT_CERT: pki.clientCert,
        NIXFLEET_CLIENT_KEY: pki.clientKey,
      },
    });
    expect(r.stderr).toBe('');
    // No verified artifact: nothing the hosts run can be judged current, so exit 1.
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no verified artifact');
    expect(r.stdout).toMatch(/etcd-2\s+! stale\s+channel artifact stale/);
    expect(r.stdout).toContain('1 artifact stale (stable)');
  });
});
