// `nixfleet audit` refuses a flipped bit in any input (docs/auditor.md,
// "What the statement checks"): one case per input kind through the real CLI
// (release files from a directory and from git, the collector's and the
// agent's evidence files, an events export, trust.json), then 48 random bit
// flips per input through the core on the same bytes.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { evidenceFrom, releasesFromDir, releasesFromGit } from '../../ts/cli/audit/read.ts';
import { auditStatement, type AuditInput } from '../../ts/core/audit/index.ts';
import { sha256Hex } from '../../ts/trust/index.ts';
import { tmp, trustFile, useReleaseWorld } from '../release/support/world.ts';
import {
  audit,
  auditArgs,
  buildAuditWorld,
  D0,
  day,
  evidenceDir,
  flipped,
  offsetOf,
  releases,
  repo,
  tamperedReleaseDir,
  TODAY,
  withReleaseDir,
  type AuditWorld,
} from './support/audit-world.ts';

useReleaseWorld();
let w: AuditWorld;
beforeAll(async () => {
  w = await buildAuditWorld();
}, 300_000);

const base = (over: Parameters<typeof auditArgs>[1] = {}): string[] => auditArgs(w, over);

describe('nixfleet audit: a flipped bit in any input refuses', () => {
  const cases: [string, () => string[], string][] = [
    [
      'fleet.resolved.json',
      () =>
        withReleaseDir(
          base(),
          tamperedReleaseDir('fleet.resolved.json', (f) =>
            flipped(f, offsetOf(f, '"closureHash"') + 20),
          ),
        ),
      'AUDIT_ERR_RELEASE',
    ],
    [
      'fleet.resolved.json.sig',
      () =>
        withReleaseDir(
          base(),
          tamperedReleaseDir('fleet.resolved.json.sig', (f) => flipped(f, 5)),
        ),
      'AUDIT_ERR_RELEASE',
    ],
    [
      'a rollout manifest',
      () =>
        withReleaseDir(
          base(),
          tamperedReleaseDir('rollouts/stable@2222222222bbbbbb.json', (f) =>
            flipped(f, offsetOf(f, '"targetClosure"') + 20),
          ),
        ),
      'AUDIT_ERR_RELEASE',
    ],
    [
      'revocations.json',
      () =>
        withReleaseDir(
          base(),
          tamperedReleaseDir('revocations.json', (f) => flipped(f, 3)),
        ),
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
