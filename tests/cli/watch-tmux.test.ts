// End to end: `nixfleet watch` and `nixfleet status --watch` in a real
// terminal (tmux); the captured screen is what an operator sees. Against the
// real control plane while a rollout is in progress (and acted on through
// the watch keys), and against a contract-following stand-in whose answers
// the test changes (a CP that stops answering, a rollout that reverts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NIXFLEET_BIN } from './support/cli-kit.ts';
import { startFakeCp, type FakeCp, type Routes } from './support/fake-cp.ts';
import { failedRollout, midRollout, RID } from './support/fleet-fixtures.ts';
import { makeTestPki } from './support/pki.ts';
import { operatorFlags, startRolloutCp, type RolloutCp } from './support/real-cp.ts';
import { SimAgent, rfc3339 } from '../cp/kit/agent-sim.ts';
import { hostsIn, startTestCp, type TestCp } from '../cp/kit/harness.ts';

const COMMIT = 'e1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
/**
 * An operator's terminal, not a CI log: Ink (via is-in-ci) paints only the final frame when
 * CI or CONTINUOUS_INTEGRATION is set, which is what CI runners export. The process under
 * test gets the environment a person at a terminal has unless a test says otherwise.
 */
const OPERATOR_ENV = ['-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION'];

const tmux = (...args: string[]): string => {
  const r = spawnSync('tmux', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** A 120×45 tmux session running `nixfleet <args>`, then printing `EXIT=<code>`. */
interface Terminal {
  /** Polls the screen until `pred` holds (or fails with the last screen). */
  until(pred: (screen: string) => boolean, timeoutMs?: number): Promise<string>;
  keys(keys: string): void;
  close(): void;
}

let sessions = 0;
function openTerminal(args: readonly string[], env: readonly string[] = OPERATOR_ENV): Terminal {
  const session = `nixfleet-e2e-${process.pid}-${sessions++}`;
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = ['env', ...env, process.execPath, NIXFLEET_BIN, ...args].map(q).join(' ');
  // The command is the session's shell command (not typed), so the screen shows only its output.
  tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    '120',
    '-y',
    '45',
    `${cmd}; echo "EXIT=$?"; sleep 120`,
  );
  return {
    async until(pred, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      let s = '';
      while (Date.now() < end) {
        s = tmux('capture-pane', '-p', '-t', session);
        if (pred(s)) return s;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`screen never matched; last screen:\n${s}`);
    },
    keys: (keys) => void tmux('send-keys', '-t', session, keys),
    close: () => void spawnSync('tmux', ['kill-session', '-t', session]),
  };
}

/** The stand-in's routes for a fleet fixture. */
function routesOf(s: ReturnType<typeof midRollout>): Routes {
  return {
    '/v1/hosts': { json: s.hosts },
    '/v1/rollouts': { json: s.rollouts },
    '/v1/channels/stable': { json: s.channel },
    [`/v1/rollouts/${RID}/trace`]: { json: s.trace },
  };
}

describe.skipIf(!hasTmux)('nixfleet watch in tmux against the real CP', () => {
  let cp: RolloutCp | null = null;
  beforeAll(async () => {
    cp = await startRolloutCp(COMMIT);
  });
  afterAll(async () => cp?.t.close());

  it('the live view shows waves, hosts and decisions, and q mid-rollout quits with exit 1', async () => {
    const c = cp as RolloutCp;
    // The CP's read routes answer the api-* contracts; if that ever regresses this fails.
    expect(await c.conforms()).toBe(true);
    const term = openTerminal(['watch', c.rolloutId, '--interval', '500ms', ...c.flags]);
    try {
      const screen = await term.until((s) => s.includes('Recent decisions') && s.includes('h-000'));
      expect(screen).toContain(`${c.rolloutId}  Active`);
      expect(screen).toMatch(/▸ wave 0\s+░+|▸ wave 0\s+█*░*\s+0\/1 converged/);
      expect(screen).toMatch(/h-000\s+Soaking/);
      expect(screen).toMatch(/h-001\s+Queued/);
      expect(screen).toContain('q to quit');
      term.keys('q');
      // Quit before every targeted host converged: the verdict line says so, exit 1.
      const last = await term.until((s) => s.includes('EXIT='));
      expect(last).toContain('0/3 targeted hosts converged');
      expect(last).toContain('EXIT=1');
    } finally {
      term.close();
    }
  });
});

describe.skipIf(!hasTmux)('nixfleet watch action keys in tmux against the real CP', () => {
  const commit = 'f1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
  const rid = `stable@${commit}`;
  let t: TestCp | null = null;
  let flags: string[] = [];
  beforeAll(async () => {
    // Operators declared in the signed fleet: the channel's first rollout opens paused by the CP.
    t = await startTestCp({
      release: {
        hosts: hostsIn([1, 2]),
        soakMinutes: [30, 0],
        ciCommit: commit,
        signedAt: rfc3339(),
        operators: { alice: { role: 'operator' } },
      },
    });
    flags = await operatorFlags(t, 'alice');
    for (const h of ['h-000', 'h-001', 'h-002'])
      await new SimAgent(h, await t.client(h)).heartbeat();
    await t.cp.tick('test');
  });
  afterAll(async () => t?.close());

  it('r resumes and p pauses through the prompt; the hold line names the operator and the reason', async () => {
    const term = openTerminal(['watch', rid, '--interval', '300ms', ...flags]);
    try {
      const first = await term.until((s) =>
        s.includes('keys: p pause · r resume · a abort · A approve'),
      );
      expect(first).toMatch(/^paused by the control plane/m);
      term.keys('r');
      await term.until((s) => s.includes(`resume ${rid} — reason:`));
      term.keys('first start');
      term.keys('Enter');
      // The rollout's hold line (the only line that starts with it) is gone once resumed.
      await term.until((s) => s.includes('resume applied by alice') && !/^paused by/m.test(s));
      term.keys('p');
      await term.until((s) => s.includes(`pause ${rid} — reason:`));
      // An empty reason never leaves the terminal.
      term.keys('Enter');
      await term.until((s) => s.includes('not sent: a reason is required'));
      term.keys('db migration running');
      term.keys('Enter');
      const screen = await term.until((s) =>
        /paused by operator:alice \S+ ago: 'db migration running'/.test(s),
      );
      expect(screen).toContain('pause applied by alice');
      expect(screen).toContain('— nixfleet rollout resume');
      term.keys('q');
      expect(await term.until((s) => s.includes('EXIT='))).toContain('EXIT=1');
    } finally {
      term.close();
    }
  });
});

describe.skipIf(!hasTmux)('nixfleet in tmux against a contract-following stand-in CP', () => {
  let fake: FakeCp;
  let flags: string[];
  beforeAll(async () => {
    const pki = await makeTestPki(mkdtempSync(join(tmpdir(), 'nixfleet-tmux-')));
    fake = await startFakeCp(pki, routesOf(midRollout()));
    flags = ['--cp-url', fake.url, '--ca-cert', pki.caCert];
    flags.push('--client-cert', pki.clientCert, '--client-key', pki.clientKey);
  });
  afterAll(async () => fake.close());

  it('watch: live view, a banner while the CP is gone, the final Reverted frame, exit 1', async () => {
    fake.setRoutes(routesOf(midRollout()));
    const term = openTerminal(['watch', RID, '--interval', '300ms', ...flags]);
    try {
      const screen = await term.until((x) => x.includes('q to quit'));
      expect(screen).toContain(`${RID}  Active`);
      expect(screen).toMatch(/etcd-2\s+Queued\s+—\s+\S+\s+held: budget tags=etcd 1\/1 in flight/);
      expect(screen).toContain('tags=etcd  1/1 in flight  (saturated)');
      // The CP stops answering: the last frame stays, with a banner.
      fake.setRoutes({});
      const banner = await term.until((x) => x.includes('CLI_ERR_CP_REFUSED'));
      expect(banner).toContain('retrying');
      expect(banner).toContain(`${RID}  Active`);
      fake.setRoutes(routesOf(midRollout()));
      await term.until((x) => !x.includes('CLI_ERR_CP_REFUSED'));
      // The rollout reverts: the view paints that final frame, then ends by itself.
      fake.setRoutes(routesOf(failedRollout()));
      const last = await term.until((x) => x.includes('EXIT='));
      expect(last).toContain(`${RID}  Reverted`);
      expect(last).toContain('EXIT=1');
    } finally {
      term.close();
    }
  });

  it('status --watch keeps the fleet table on screen, refreshed, and q quits with the fleet exit code', async () => {
    fake.setRoutes(routesOf(midRollout()));
    const term = openTerminal(['status', '--watch', '--interval', '300ms', ...flags]);
    try {
      const screen = await term.until((x) => x.includes('q to quit'));
      // (Ages come from the real clock here, so the fixture's hosts read as stale.)
      expect(screen).toMatch(/NixFleet https:\/\/127\.0\.0\.1:\d+ · 4 hosts/);
      expect(screen).toMatch(/stable\s+stable@3f2a9c1\s+Active/);
      // A later poll sees the rollout reverted: the table changes in place.
      fake.setRoutes(routesOf(failedRollout()));
      expect(await term.until((x) => /stable@3f2a9c1\s+Reverted/.test(x))).toContain('q to quit');
      term.keys('q');
      // Exit 1: the fleet it last showed has a reverted rollout.
      expect(await term.until((x) => x.includes('EXIT='))).toContain('EXIT=1');
    } finally {
      term.close();
    }
  });

  it('in a terminal of a CI job (CI=1) prints plain frames instead of a live view Ink would not paint', async () => {
    fake.setRoutes(routesOf(midRollout()));
    const term = openTerminal(['watch', RID, '--interval', '300ms', ...flags], ['CI=1']);
    try {
      const screen = await term.until((x) => x.includes(`${RID}  Active`));
      expect(screen).toMatch(/etcd-2\s+Queued/);
      // The plain form: no key bindings, no refresh footer.
      expect(screen).not.toContain('q to quit');
    } finally {
      term.close();
    }
  });
});
