// `nixfleet audit` (docs/auditor.md, "The auditor's statement"): from a real
// release history (two `nixfleet release --git-commit` runs), trust.json and
// real host-signed evidence (the collector binary, the agent's evidence probe
// and signing code, an events export), the statement says per day what
// web-01 ran, from which commit, and which controls it passed, each fact
// backed by a verified signature. A flipped bit in any input, evidence of
// another host, or a release signed by a retired key refuses it.
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditStatement } from '../../ts/contracts/index.ts';
import { auditStatement, type AuditInput } from '../../ts/core/audit/index.ts';
import { evidenceFrom, releasesFromDir, releasesFromGit } from '../../ts/cli/audit/read.ts';
import { generatePrivateKey, sha256Hex } from '../../ts/trust/index.ts';
import { tmp, trustFile, useReleaseWorld } from '../release/support/world.ts';
import { runOp, runProcess } from './support/run.ts';
import {
  at,
  buildAuditWorld,
  D0,
  D1,
  day,
  evidenceDir,
  releases,
  repo,
  TODAY,
  type AuditWorld,
} from './support/audit-world.ts';

useReleaseWorld();
let w: AuditWorld;
beforeAll(async () => {
  w = await buildAuditWorld();
}, 300_000);

const base = (over: { from?: number; trust?: string; evidence?: string[] } = {}): string[] => [
  'audit',
  'web-01',
  '--from',
  day(over.from ?? D0),
  '--to',
  day(TODAY),
  '--trust',
  over.trust ?? trustFile,
  '--release-git',
  releases,
  ...(over.evidence ?? [evidenceDir, w.events]).flatMap((e) => ['--evidence', e]),
];
const audit = (args: string[]) => runOp(args, { now: new Date() });

/** A copy of `file` with bit `bit` of byte `offset` flipped. */
function flipped(file: string, offset: number, bit = 0): string {
  const bytes = new Uint8Array(readFileSync(file));
  bytes[offset]! ^= 1 << bit;
  const out = join(tmp, `flipped-${Math.random().toString(36).slice(2)}-${file.split('/').pop()}`);
  writeFileSync(out, bytes);
  return out;
}
const offsetOf = (file: string, needle: string): number => {
  const i = readFileSync(file, 'latin1').indexOf(needle);
  expect(i, `${needle} in ${file}`).toBeGreaterThanOrEqual(0);
  return i;
};

/** A release directory copied from the working tree, with `name` replaced by `bytes`. */
function tamperedReleaseDir(name: string, tamper: (file: string) => string): string {
  const dir = join(tmp, `rel-${Math.random().toString(36).slice(2)}`);
  cpSync(releases, dir, { recursive: true });
  writeFileSync(join(dir, name), readFileSync(tamper(join(dir, name))));
  return dir;
}
const withReleaseDir = (dir: string): string[] => {
  const a = base();
  a.splice(a.indexOf('--release-git'), 2, '--release-dir', dir);
  return a;
};

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
    const args = withReleaseDir(old);
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
});

describe('nixfleet audit: a flipped bit in any input refuses', () => {
  const cases: [string, () => string[], string][] = [
    [
      'fleet.resolved.json',
      () =>
        withReleaseDir(
          tamperedReleaseDir('fleet.resolved.json', (f) =>
            flipped(f, offsetOf(f, '"closureHash"') + 20),
          ),
        ),
      'AUDIT_ERR_RELEASE',
    ],
    [
      'fleet.resolved.json.sig',
      () => withReleaseDir(tamperedReleaseDir('fleet.resolved.json.sig', (f) => flipped(f, 5))),
      'AUDIT_ERR_RELEASE',
    ],
    [
      'a rollout manifest',
      () =>
        withReleaseDir(
          tamperedReleaseDir('rollouts/stable@2222222222bbbbbb.json', (f) =>
            flipped(f, offsetOf(f, '"targetClosure"') + 20),
          ),
        ),
      'AUDIT_ERR_RELEASE',
    ],
    [
      'revocations.json',
      () => withReleaseDir(tamperedReleaseDir('revocations.json', (f) => flipped(f, 3))),
      'AUDIT_ERR_RELEASE',
    ],
    [
      'collector evidence output',
      () => base({ evidence: [flipped(w.collector, offsetOf(w.collector, '"yes"') + 1)] }),
      'AUDIT_ERR_EVIDENCE',
    ],
    [
      'collector evidence signature',
      () => base({ evidence: [flipped(w.collector, offsetOf(w.collector, '"signature":"') + 14)] }),
      'AUDIT_ERR_EVIDENCE',
    ],
    [
      'agent evidence status',
      () => base({ evidence: [flipped(w.agentD0, offsetOf(w.agentD0, '"Fail"') + 2)] }),
      'AUDIT_ERR_EVIDENCE',
    ],
    [
      'events export payloadJcs',
      () => base({ evidence: [flipped(w.events, offsetOf(w.events, 'generationHash') + 20)] }),
      'AUDIT_ERR_EVIDENCE',
    ],
    [
      'trust.json key',
      () => base({ trust: flipped(trustFile, offsetOf(trustFile, '"public":"') + 12) }),
      'AUDIT_ERR_',
    ],
    [
      'trust.json anywhere, pinned',
      () => [
        ...base({ trust: flipped(trustFile, offsetOf(trustFile, 'cacheKeys')) }),
        '--trust-sha256',
        sha256Hex(new Uint8Array(readFileSync(trustFile))),
      ],
      'AUDIT_ERR_TRUST',
    ],
  ];
  it.each(cases)('%s', async (_what, args, code) => {
    const r = await audit(args());
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toContain(`nixfleet audit: ${code}`);
  });

  it('a release committed tampered to the git history', async () => {
    const clone = join(tmp, `clone-${Date.now()}`);
    execFileSync('git', ['clone', '-q', repo, clone]);
    const f = join(clone, 'releases', 'fleet.resolved.json');
    writeFileSync(f, readFileSync(flipped(f, offsetOf(f, '"ciCommit"') + 13)));
    execFileSync('git', [
      '-C',
      clone,
      '-c',
      'user.name=x',
      '-c',
      'user.email=x@x',
      'commit',
      '-qam',
      'tamper',
    ]);
    const a = base();
    a[a.indexOf('--release-git') + 1] = join(clone, 'releases');
    const r = await audit(a);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/AUDIT_ERR_RELEASE: git:[0-9a-f]{12}:releases\/fleet\.resolved\.json/);
  });

  it('any of 48 random bit positions in each input kind refuses (core, same bytes)', async () => {
    const input: AuditInput = {
      host: 'web-01',
      from: day(D0),
      to: day(TODAY),
      trust: { source: trustFile, bytes: new Uint8Array(readFileSync(trustFile)) },
      trustSha256: sha256Hex(new Uint8Array(readFileSync(trustFile))),
      releases: [...(await releasesFromGit(releases)), ...releasesFromDir(releases)],
      evidence: [...evidenceFrom(evidenceDir), ...evidenceFrom(w.events)],
    };
    const now = new Date();
    expect(auditStatement(input, now).ok).toBe(true);
    let seed = 26;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const flip = (b: Uint8Array): Uint8Array => {
      const c = b.slice();
      c[rand(c.length)]! ^= 1 << rand(8);
      return c;
    };
    const flipEvidence = (b: Uint8Array): Uint8Array => {
      const text = Buffer.from(b).toString('latin1');
      const spans = [...text.matchAll(/"(payloadJcs|signature)": "(\\.|[^"\\])*"/g)].map(
        (m) => [m.index, m[0].length] as const,
      );
      expect(spans.length).toBe(12);
      const [start, len] = spans[rand(spans.length)]!;
      const c = b.slice();
      c[start + rand(len)]! ^= 1 << rand(8);
      return c;
    };
    const kinds: [string, (i: AuditInput) => AuditInput][] = [
      ['trust.json', (i) => ({ ...i, trust: { ...i.trust, bytes: flip(i.trust.bytes) } })],
      ...[0, 1, 2].map((r): [string, (i: AuditInput) => AuditInput] => [
        `release ${r} file`,
        (i) => ({
          ...i,
          releases: i.releases.map((rel, n) =>
            n !== r
              ? rel
              : {
                  ...rel,
                  files: rel.files.map((f, k) =>
                    k !== rand(rel.files.length)
                      ? f
                      : {
                          ...f,
                          bytes: flip(f.bytes),
                          signature: f.signature && (rand(2) ? flip(f.signature) : f.signature),
                        },
                  ),
                },
          ),
        }),
      ]),
      ...input.evidence.map((e, n): [string, (i: AuditInput) => AuditInput] => [
        `evidence ${e.source.split('/').slice(-2).join('/')}`,
        (i) => ({
          ...i,
          // An export's unsigned fields (seq, at, kind, events without evidence) state nothing
          // and are not read: the signed evidence it carries (each copy) is what is flipped.
          evidence: i.evidence.map((x, k) =>
            k !== n
              ? x
              : { ...x, bytes: x.source === w.events ? flipEvidence(x.bytes) : flip(x.bytes) },
          ),
        }),
      ]),
    ];
    const accepted: string[] = [];
    for (const [what, tamper] of kinds) {
      for (let t = 0; t < 48; t++) {
        const r = auditStatement(tamper(input), now);
        if (r.ok) accepted.push(what);
      }
    }
    expect(accepted).toEqual([]);
  }, 120_000);
});

it('the world holds what the tests assume', () => {
  expect(existsSync(join(releases, 'rollouts', 'stable@2222222222bbbbbb.json.sig'))).toBe(true);
});
