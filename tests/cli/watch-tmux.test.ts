// End to end: `nixfleet watch` in a real terminal (tmux) against the real
// control plane while a rollout is in progress; the captured screen is what
// an operator sees. Two variants, switched by whether the CP's read routes
// follow the api-* contracts (issue 7 deviation, see real-cp.test.ts):
// today the CLI must refuse the CP's answers truthfully (exit 5 on screen);
// once the CP conforms, the live Ink view must show the rollout.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NIXFLEET_BIN } from '../../ts/cli/cli-test-kit.ts';
import { startFakeCp } from './support/fake-cp.ts';
import { failedRollout, midRollout, RID } from './support/fleet-fixtures.ts';
import { makeTestPki } from './support/pki.ts';
import { startRolloutCp, type RolloutCp } from './support/real-cp.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const COMMIT = 'e1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const SESSION = `nixfleet-watch-e2e-${process.pid}`;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
/**
 * An operator's terminal, not a CI log: Ink (via is-in-ci) paints only the final frame when
 * CI or CONTINUOUS_INTEGRATION is set, which is what CI runners export. The watch process
 * under test gets the environment a person at a terminal has.
 */
const OPERATOR_SHELL = 'env -u CI -u CONTINUOUS_INTEGRATION';
let cp: RolloutCp | null = null;
let conforms = false;

const tmux = (...args: string[]): string => {
  const r = spawnSync('tmux', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const capture = (): string => tmux('capture-pane', '-p', '-t', SESSION);

/** Polls the tmux screen until `pred` holds (or fails with the last screen). */
async function screenUntil(pred: (s: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let s = '';
  while (Date.now() < end) {
    s = capture();
    if (pred(s)) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`screen never matched; last screen:\n${s}`);
}

function startWatch(c: Pick<RolloutCp, 'rolloutId' | 'flags'>): void {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [
    process.execPath,
    NIXFLEET_BIN,
    'watch',
    c.rolloutId,
    '--interval',
    '500ms',
    ...c.flags,
  ]
    .map(q)
    .join(' ');
  tmux(
    'new-session',
    '-d',
    '-s',
    SESSION,
    '-x',
    '120',
    '-y',
    '45',
    `${OPERATOR_SHELL} ${cmd}; echo "EXIT=$?"; sleep 120`,
  );
}

beforeAll(async () => {
  if (!hasTmux) return;
  cp = await startRolloutCp(COMMIT);
  conforms = await cp.conforms();
});
afterAll(async () => {
  if (hasTmux) spawnSync('tmux', ['kill-session', '-t', SESSION]);
  await cp?.t.close();
});

describe.skipIf(!hasTmux)('nixfleet watch in tmux against the real CP', () => {
  it('the live view shows waves, hosts and decisions, and q quits with exit 0', async () => {
    // The CP's read routes answer the api-* contracts; if that ever regresses
    // this test fails instead of skipping.
    expect(conforms).toBe(true);
    const c = cp as RolloutCp;
    startWatch(c);
    const screen = await screenUntil((s) => s.includes('Recent decisions') && s.includes('h-000'));
    expect(screen).toContain(`${c.rolloutId}  Active`);
    expect(screen).toMatch(/▸ wave 0\s+░+|▸ wave 0\s+█*░*\s+0\/1 converged/);
    expect(screen).toMatch(/h-000\s+Soaking/);
    expect(screen).toMatch(/h-001\s+Queued/);
    expect(screen).toContain('q to quit');
    tmux('send-keys', '-t', SESSION, 'q');
    expect(await screenUntil((s) => s.includes('EXIT='))).toContain('EXIT=0');
  });
});

describe.skipIf(!hasTmux)('nixfleet watch in tmux against a contract-following stand-in CP', () => {
  it('renders the live Ink view in a real terminal, follows changes, paints the final Reverted frame and exits 1', async () => {
    const pki = await makeTestPki(mkdtempSync(join(tmpdir(), 'nixfleet-tmux-')));
    const s = midRollout();
    const fake = await startFakeCp(pki, {
      '/v1/hosts': { json: s.hosts },
      '/v1/rollouts': { json: s.rollouts },
      '/v1/channels/stable': { json: s.channel },
      [`/v1/rollouts/${RID}/trace`]: { json: s.trace },
    });
    const session = `${SESSION}-fake`;
    try {
      const flags = [
        '--cp-url',
        fake.url,
        '--ca-cert',
        pki.caCert,
        '--client-cert',
        pki.clientCert,
        '--client-key',
        pki.clientKey,
      ];
      const q = (x: string): string => `'${x}'`;
      const cmd = [process.execPath, NIXFLEET_BIN, 'watch', RID, '--interval', '300ms', ...flags]
        .map(q)
        .join(' ');
      tmux(
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '120',
        '-y',
        '45',
        `${OPERATOR_SHELL} ${cmd}; echo "EXIT=$?"; sleep 120`,
      );
      const cap = (): string => tmux('capture-pane', '-p', '-t', session);
      const until = async (pred: (x: string) => boolean): Promise<string> => {
        const end = Date.now() + 20_000;
        let x = '';
        while (Date.now() < end) {
          x = cap();
          if (pred(x)) return x;
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`screen never matched; last screen:\n${x}`);
      };
      const screen = await until((x) => x.includes('q to quit'));
      expect(screen).toContain(`${RID}  Active`);
      expect(screen).toMatch(/etcd-2\s+Queued\s+—\s+\S+\s+held: budget tags=etcd 1\/1 in flight/);
      expect(screen).toContain('tags=etcd  1/1 in flight  (saturated)');
      // The CP stops answering: the last frame stays, with a banner.
      fake.setRoutes({});
      const banner = await until((x) => x.includes('CLI_ERR_CP_REFUSED'));
      expect(banner).toContain('retrying');
      expect(banner).toContain(`${RID}  Active`);
      fake.setRoutes({
        '/v1/hosts': { json: s.hosts },
        '/v1/rollouts': { json: s.rollouts },
        '/v1/channels/stable': { json: s.channel },
        [`/v1/rollouts/${RID}/trace`]: { json: s.trace },
      });
      await until((x) => !x.includes('CLI_ERR_CP_REFUSED'));
      // The rollout reverts: the view paints that final frame, then ends by itself (exit 1).
      const f = failedRollout();
      fake.setRoutes({
        '/v1/hosts': { json: f.hosts },
        '/v1/rollouts': { json: f.rollouts },
        '/v1/channels/stable': { json: f.channel },
        [`/v1/rollouts/${RID}/trace`]: { json: f.trace },
      });
      const last = await until((x) => x.includes('EXIT='));
      expect(last).toContain(`${RID}  Reverted`);
      expect(last).toContain('EXIT=1');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
      await fake.close();
    }
  });
  it('status --watch keeps the fleet table on screen, refreshed, and q quits with exit 0', async () => {
    const pki = await makeTestPki(mkdtempSync(join(tmpdir(), 'nixfleet-tmux-status-')));
    const s = midRollout();
    const fake = await startFakeCp(pki, {
      '/v1/hosts': { json: s.hosts },
      '/v1/rollouts': { json: s.rollouts },
      '/v1/channels/stable': { json: s.channel },
    });
    const session = `${SESSION}-status`;
    try {
      const args = [process.execPath, NIXFLEET_BIN, 'status', '--watch', '--interval', '300ms']
        .concat(['--cp-url', fake.url, '--ca-cert', pki.caCert])
        .concat(['--client-cert', pki.clientCert, '--client-key', pki.clientKey]);
      const cmd = args.map((x) => `'${x}'`).join(' ');
      tmux(
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '120',
        '-y',
        '45',
        `${OPERATOR_SHELL} ${cmd}; echo "EXIT=$?"; sleep 120`,
      );
      const screenOf = async (pred: (x: string) => boolean): Promise<string> => {
        const end = Date.now() + 20_000;
        let x = '';
        while (Date.now() < end) {
          x = tmux('capture-pane', '-p', '-t', session);
          if (pred(x)) return x;
          await new Promise((r) => setTimeout(r, 200));
        }
        throw new Error(`screen never matched; last screen:\n${x}`);
      };
      const screen = await screenOf((x) => x.includes('q to quit'));
      // (Ages come from the real clock here, so the fixture's hosts read as stale.)
      expect(screen).toMatch(/NixFleet https:\/\/127\.0\.0\.1:\d+ · 4 hosts/);
      expect(screen).toMatch(/stable\s+stable@3f2a9c1\s+Active/);
      // A later poll sees a failed fleet: the table changes in place.
      const f = failedRollout();
      fake.setRoutes({
        '/v1/hosts': { json: f.hosts },
        '/v1/rollouts': { json: f.rollouts },
        '/v1/channels/stable': { json: f.channel },
      });
      const changed = await screenOf((x) => /stable@3f2a9c1\s+Reverted/.test(x));
      expect(changed).toContain('q to quit');
      tmux('send-keys', '-t', session, 'q');
      // Exit 1: the fleet it last showed has a failed rollout.
      expect(await screenOf((x) => x.includes('EXIT='))).toContain('EXIT=1');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
      await fake.close();
    }
  });

  it('in a terminal of a CI job (CI=1) prints plain frames instead of a live view Ink would not paint', async () => {
    const pki = await makeTestPki(mkdtempSync(join(tmpdir(), 'nixfleet-tmux-ci-')));
    const s = midRollout();
    const fake = await startFakeCp(pki, {
      '/v1/hosts': { json: s.hosts },
      '/v1/rollouts': { json: s.rollouts },
      '/v1/channels/stable': { json: s.channel },
      [`/v1/rollouts/${RID}/trace`]: { json: s.trace },
    });
    const session = `${SESSION}-ci`;
    try {
      const args = [process.execPath, NIXFLEET_BIN, 'watch', RID, '--interval', '300ms']
        .concat(['--cp-url', fake.url, '--ca-cert', pki.caCert])
        .concat(['--client-cert', pki.clientCert, '--client-key', pki.clientKey]);
      const cmd = args.map((x) => `'${x}'`).join(' ');
      tmux(
        'new-session',
        '-d',
        '-s',
        session,
        '-x',
        '120',
        '-y',
        '45',
        `env CI=1 ${cmd}; sleep 120`,
      );
      const end = Date.now() + 20_000;
      let screen = '';
      while (Date.now() < end && !screen.includes(`${RID}  Active`)) {
        await new Promise((r) => setTimeout(r, 200));
        screen = tmux('capture-pane', '-p', '-t', session);
      }
      expect(screen).toContain(`${RID}  Active`);
      expect(screen).toMatch(/etcd-2\s+Queued/);
      // The plain form: no key bindings, no refresh footer.
      expect(screen).not.toContain('q to quit');
    } finally {
      spawnSync('tmux', ['kill-session', '-t', session]);
      await fake.close();
    }
  });
});
