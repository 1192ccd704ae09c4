// `nixfleet audit` (docs/auditor.md, "The auditor's statement"): from a real
// release history (two `nixfleet release --git-commit` runs), trust.json and
// real host-signed evidence (the collector binary, the agent's evidence probe
// and signing code, an events export), the statement says per day what
// web-01 ran, from which commit, and which controls it passed, each fact
// backed by a verified signature. Evidence of another host, evidence under a
// key the fleet did not declare then, or a release signed by a retired key
// refuses it (flipped bits: audit-tamper.test.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditStatement } from '../../ts/contracts/index.ts';
import { generatePrivateKey } from '../../ts/trust/index.ts';
import { tmp, trustFile, useReleaseWorld } from '../release/support/world.ts';
import { runProcess } from './support/run.ts';
import {
  at,
  audit,
  auditArgs,
  buildAuditWorld,
  collect,
  D0,
  D1,
  day,
  releases,
  releaseInto,
  repo,
  TODAY,
  web01,
  withReleaseDir,
  type AuditWorld,
} from './support/audit-world.ts';

useReleaseWorld();
let w: AuditWorld;
beforeAll(async () => {
  w = await buildAuditWorld();
}, 300_000);

const base = (over: Parameters<typeof auditArgs>[1] = {}): string[] => auditArgs(w, over);

describe('nixfleet audit: the statement', () => {
  it('states per day the closure, its commit and the controls with their signed outputs; a day without evidence says so', async () => {
    const html = join(tmp, 'statement.html');
    const r = await runProcess([...base(), '--json', '--html', html], {
      env: process.env,
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as AuditStatement;
    expect(s.releases.map((x) => [x.ciCommit, x.closureHash, x.signer.role])).toEqual([
      ['1111111111aaaaaa', w.c1, 'current'],
      ['2222222222bbbbbb', w.c2, 'current'],
    ]);
    expect(s.releases.every((x) => x.artifacts >= 4)).toBe(true);
    const [d0, d1, d2] = s.days;
    expect(d0!.date).toBe(day(D0));
    expect(d0!.verdict).toBe('failed');
    expect(d0!.closures).toMatchObject([{ closureHash: w.c1, ciCommit: '1111111111aaaaaa' }]);
    // The agent's payloads carry the statuses, not the outputs: two observations, no output.
    expect(d0!.controls.map((c) => [c.controlId, c.status, c.observations])).toEqual([
      ['ssh-password-auth-disabled', 'Pass', 2],
      ['ssh-root-login-disabled', 'Fail', 2],
    ]);
    expect(d1).toMatchObject({ date: day(D1), verdict: 'no-evidence', closures: [], controls: [] });
    expect(d2!.verdict).toBe('failed');
    expect(d2!.closures).toMatchObject([{ closureHash: w.c2, ciCommit: '2222222222bbbbbb' }]);
    const root = d2!.controls.find((c) => c.controlId === 'ssh-root-login-disabled')!;
    expect(root).toMatchObject({
      status: 'Fail',
      frameworks: [{ framework: 'nis2-essential', article: 'art.21(2)(i)' }],
      failure: 'permitrootlogin is "yes", expected one of ["no"]',
    });
    expect((root.output as { output: unknown }).output).toEqual({
      permitrootlogin: 'yes',
      exitCode: 0,
    });
    expect(s.ignored).toEqual({ outsideRange: 0, otherHosts: 1, beforeHistory: 0, unsigned: 0 });

    const page = readFileSync(html, 'utf8');
    expect(page).toContain(w.c2);
    expect(page).toContain('no-evidence');
    expect(page).not.toMatch(/<script|<link|src=|https?:\/\//);
  }, 120_000);

  it('prints the statement as text', async () => {
    const r = await audit(base());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${day(D1)}  NO-EVIDENCE`);
    expect(r.stdout).toContain(`closure ${w.c2} built from commit 2222222222bbbbbb`);
    expect(r.stdout).toContain('FAIL ssh-root-login-disabled [nis2-essential art.21(2)(i)]');
  });

  it('ignores evidence outside the range, and evidence older than the first release declaring the host key', async () => {
    const r = await audit([...base({ from: D1 }), '--evidence', w.agentOld, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as AuditStatement;
    expect(s.days.map((d) => d.verdict)).toEqual(['no-evidence', 'failed']);
    expect(s.ignored).toMatchObject({ outsideRange: 2, beforeHistory: 1 });
  });

  it('refuses evidence of another host replayed as this host’s', async () => {
    const r = await audit(base({ evidence: [w.collector, w.web02Evidence] }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AUDIT_ERR_EVIDENCE_HOST');
    expect(r.stderr).toContain('payload signed for host web-02, given as evidence of web-01');

    // web-02's export entry filed under web-01.
    const doc = JSON.parse(readFileSync(w.events, 'utf8')) as { events: { hostname: string }[] };
    doc.events[1]!.hostname = 'web-01';
    const refiled = join(tmp, 'events-refiled.json');
    writeFileSync(refiled, JSON.stringify(doc));
    const r2 = await audit(base({ evidence: [refiled] }));
    expect(r2.stderr).toContain('AUDIT_ERR_EVIDENCE_HOST');

    // web-02's payload renamed to web-01: its signature no longer verifies under any key.
    const e = JSON.parse(readFileSync(w.web02Evidence, 'utf8')) as {
      payload: { hostname: string };
    };
    e.payload.hostname = 'web-01';
    const renamed = join(tmp, 'renamed.json');
    writeFileSync(renamed, JSON.stringify(e));
    const r3 = await audit(base({ evidence: [renamed] }));
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/AUDIT_ERR_EVIDENCE: .*TRUST_ERR_BAD_SIGNATURE/);
  });

  it('refuses a release signed by a key trust.json retired before its signedAt', async () => {
    const trust = JSON.parse(readFileSync(trustFile, 'utf8')) as {
      ciReleaseKey: Record<string, unknown>;
    };
    const rotated = join(tmp, 'trust-rotated.json');
    const k2 = generatePrivateKey('ed25519').publicKey.base64;
    trust.ciReleaseKey = {
      ...trust.ciReleaseKey,
      previous: trust.ciReleaseKey['current'],
      current: { algorithm: 'ed25519', public: k2 },
      retireAt: at(D0 + 12 * 3_600_000),
    };
    writeFileSync(rotated, JSON.stringify(trust));
    const r = await audit(base({ trust: rotated }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /AUDIT_ERR_RELEASE_KEY: git:[0-9a-f]{12}:releases\/fleet\.resolved\.json: signed at .* by ciReleaseKey\.previous/,
    );

    // The release signed before retireAt still verifies, under the previous key.
    const first = execFileSync(
      'git',
      ['-C', repo, 'log', '--format=%H', '--reverse', '--', 'releases'],
      { encoding: 'utf8' },
    ).split('\n')[0]!;
    const old = join(tmp, 'release-1');
    mkdirSync(join(old, 'rollouts'), { recursive: true });
    for (const f of execFileSync(
      'git',
      ['-C', repo, 'ls-tree', '-r', '--name-only', first, 'releases'],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean))
      writeFileSync(
        join(old, f.slice('releases/'.length)),
        execFileSync('git', ['-C', repo, 'show', `${first}:${f}`]),
      );
    const args = withReleaseDir(base(), old);
    args[args.indexOf('--trust') + 1] = rotated;
    const ok = await audit([...args, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as AuditStatement).releases[0]!.signer.role).toBe('previous');
  });

  it('refuses a host no verified release declares', async () => {
    const a = base();
    a[1] = 'db-99';
    const r = await audit(a);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('AUDIT_ERR_HOST_UNKNOWN');
  });

  it('refuses evidence signed by a host key the fleet no longer declared at its time', async () => {
    const clone = join(tmp, 'clone-rekey');
    execFileSync('git', ['clone', '-q', repo, clone]);
    execFileSync('git', ['-C', clone, 'config', 'user.email', 'ci@example.com']);
    execFileSync('git', ['-C', clone, 'config', 'user.name', 'CI']);
    // web-01 re-keyed in a release at D1 18:00; the collector's evidence of today is signed by the old key.
    await releaseInto(
      join(clone, 'releases'),
      'g3',
      D1 + 18 * 3_600_000,
      '3333333333cccccc',
      generatePrivateKey('ed25519'),
    );
    const a = base({ evidence: [w.agentD0] });
    a[a.indexOf('--release-git') + 1] = join(clone, 'releases');
    const before = await audit(a);
    expect(before.code, before.stderr).toBe(0);
    a[a.indexOf('--evidence') + 1] = w.collector;
    const r = await audit(a);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /AUDIT_ERR_EVIDENCE_KEY: .*evidence\.json: signed at .* by host key .* but the release in force then declares/,
    );
  }, 120_000);

  it('refuses a range that is not one before reading any input', async () => {
    for (const [from, to] of [
      ['2026-05-17', '2026-05-16'],
      ['2026-02-30', '2026-03-01'],
      [day(D0), '2999-01-01'],
    ]) {
      const r = await audit([
        'audit',
        'web-01',
        '--from',
        from!,
        '--to',
        to!,
        '--trust',
        '/nonexistent',
        '--release-dir',
        '/nonexistent',
        '--evidence',
        '/nonexistent',
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('nixfleet audit: AUDIT_ERR_USAGE');
    }
  });

  it('a day is incomplete, not passed, when controls the release checked have no signed observation', async () => {
    const clone = join(tmp, 'clone-compliance');
    execFileSync('git', ['clone', '-q', repo, clone]);
    execFileSync('git', ['-C', clone, 'config', 'user.email', 'ci@example.com']);
    execFileSync('git', ['-C', clone, 'config', 'user.name', 'CI']);
    // A release whose channel enables nis2-essential: its signed findings name every control.
    const c4 = await releaseInto(
      join(clone, 'releases'),
      'g4',
      D1 + 18 * 3_600_000,
      '4444444444dddddd',
      undefined,
      true,
    );
    const evidence = join(tmp, 'only-password.json');
    await collect('web-01', web01, c4, evidence, 'ssh-password-auth-disabled');
    const a = [...auditArgs(w, { from: TODAY, evidence: [evidence] }), '--json'];
    a[a.indexOf('--release-git') + 1] = join(clone, 'releases');
    const r = await audit(a);
    expect(r.code, r.stderr).toBe(0);
    const [today] = (JSON.parse(r.stdout) as AuditStatement).days;
    expect(today!.controls.map((c) => [c.controlId, c.status])).toEqual([
      ['ssh-password-auth-disabled', 'Pass'],
    ]);
    expect(today!.verdict).toBe('incomplete');
    expect(today!.missingControls).toContain('ssh-root-login-disabled');
    expect(today!.missingControls).toHaveLength(13);
  }, 120_000);
});

it('the world holds what the tests assume', () => {
  expect(existsSync(join(releases, 'rollouts', 'stable@2222222222bbbbbb.json.sig'))).toBe(true);
});
