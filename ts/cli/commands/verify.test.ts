import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FIXTURE_COMMIT,
  FIXTURE_DIR,
  FIXTURE_HOST,
  fixtureBytes,
} from '../../../tests/fixtures/trust/helpers.ts';
import { runBinary, runInProcess } from '../../../tests/cli/support/cli-kit.ts';

const f = (p: string): string => join(FIXTURE_DIR, p);
const NOW = ['--now', '2026-01-15T13:00:00Z'];
const WINDOW = ['--freshness-window-secs', '86400'];
const artifactArgs = (
  artifact = 'fleet.resolved.json',
  sig = `${artifact}.sig`,
  trust = 'trust.json',
) => [
  'verify',
  'artifact',
  '--artifact',
  f(artifact),
  '--signature',
  f(sig),
  '--trust-file',
  f(trust),
  ...NOW,
  ...WINDOW,
];
const stableId = `stable@${FIXTURE_COMMIT}`;
const edgeId = `edge@${FIXTURE_COMMIT}`;
const tmp = mkdtempSync(join(tmpdir(), 'nixfleet-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('nixfleet verify (real process, exit codes)', () => {
  it('0: a valid fleet.resolved', () => {
    const r = runBinary(artifactArgs());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^verified: fleet\.resolved\.json/);
    expect(r.stdout).toContain('signer: ciReleaseKey.current');
  });

  it('1: a tampered artifact, with the typed reason on stderr', () => {
    // Change one host's platform: still canonical JSON, no longer what CI signed.
    const text = Buffer.from(fixtureBytes('fleet.resolved.json')).toString('utf8');
    const bytes = text.replace('"system":"x86_64-linux"', '"system":"aarch64-linux"');
    expect(bytes).not.toBe(text);
    const path = join(tmp, 'tampered.json');
    writeFileSync(path, bytes);
    const r = runBinary([
      'verify',
      'artifact',
      '--artifact',
      path,
      '--signature',
      f('fleet.resolved.json.sig'),
      '--trust-file',
      f('trust.json'),
      ...NOW,
      ...WINDOW,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/verification failed: TRUST_ERR_BAD_SIGNATURE \(BadSignature\)/);
  });

  it('1 with --json: the VerifyError as JSON on stdout', () => {
    const r = runBinary([...artifactArgs(), '--freshness-window-secs', '60', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      error: { kind: 'Stale', code: 'TRUST_ERR_STALE', windowSecs: 60 },
    });
  });

  it('the freshness window is a duration: 1m and 60 are the same window', () => {
    const r = runBinary([...artifactArgs(), '--freshness-window-secs', '1m', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      error: { code: 'TRUST_ERR_STALE', windowSecs: 60 },
    });
    expect(runBinary([...artifactArgs(), '--freshness-window-secs', '24h']).code).toBe(0);
  });

  it.each([['1d2x'], ['-1h'], ['30m1h'], ['']])(
    '2: --freshness-window-secs %j is a usage error naming the flag',
    (bad) => {
      const r = runBinary([...artifactArgs(), '--freshness-window-secs', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--freshness-window-secs: .*write e\.g\. 90s/);
    },
  );

  it('2: a missing flag, an unreadable file, a bad --now', () => {
    expect(runBinary(['verify', 'artifact', '--artifact', f('fleet.resolved.json')]).code).toBe(2);
    const missing = runBinary(artifactArgs('does-not-exist.json', 'fleet.resolved.json.sig'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/CLI_ERR_IO: cannot read --artifact/);
    expect(runBinary([...artifactArgs(), '--now', 'yesterday']).code).toBe(2);
  });

  it('2: a trust file with an unknown schemaVersion is an argument error', () => {
    const path = join(tmp, 'trust-v2.json');
    writeFileSync(
      path,
      JSON.stringify({
        ...JSON.parse(Buffer.from(fixtureBytes('trust.json')).toString()),
        schemaVersion: 2,
      }),
    );
    const r = runBinary([
      'verify',
      'artifact',
      '--artifact',
      f('fleet.resolved.json'),
      '--signature',
      f('fleet.resolved.json.sig'),
      '--trust-file',
      path,
      ...NOW,
      ...WINDOW,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CLI_ERR_TRUST_FILE: .*TRUST_ERR_UNSUPPORTED_TRUST_SCHEMA_VERSION/);
  });
});

describe('nixfleet verify subcommands', () => {
  const manifest = (id: string, servedAs: string, extra: string[] = []) => [
    'verify',
    'rollout-manifest',
    '--manifest',
    f(`rollouts/${id}.json`),
    '--signature',
    f(`rollouts/${id}.json.sig`),
    '--trust-file',
    f('trust.json'),
    '--rollout-id',
    servedAs,
    ...NOW,
    ...WINDOW,
    ...extra,
  ];

  it('rollout-manifest: verifies, checks the anchor, refuses another rollout id', async () => {
    const good = await runInProcess(
      manifest(stableId, stableId, ['--fleet-resolved', f('fleet.resolved.json')]),
    );
    expect(good).toMatchObject({ code: 0 });
    expect(good.stdout).toContain('(matches --fleet-resolved)');
    const swapped = await runInProcess(manifest(edgeId, stableId, ['--json']));
    expect(swapped.code).toBe(1);
    expect(JSON.parse(swapped.stdout)).toMatchObject({
      error: { kind: 'RolloutIdMismatch', actual: edgeId },
    });
    const anchor = await runInProcess(
      manifest(stableId, stableId, ['--fleet-resolved', f('fleet.resolved.p256.json')]),
    );
    expect(anchor.code).toBe(1);
    expect(anchor.stderr).toContain('TRUST_ERR_ANCHOR_MISMATCH');
    expect(
      (
        await runInProcess(
          manifest(stableId, stableId).map((a) => (a === '--manifest' ? '--artifact' : a)),
        )
      ).code,
    ).toBe(0);
  });

  it('artifact: P-256 with low-s and high-s signatures, and rotation via trust-rotation.json', async () => {
    for (const sig of ['fleet.resolved.p256.json.sig', 'fleet.resolved.p256.json.high-s.sig']) {
      expect(
        (await runInProcess(artifactArgs('fleet.resolved.p256.json', sig, 'trust-p256.json'))).code,
      ).toBe(0);
    }
    const rotated = await runInProcess(
      artifactArgs('fleet.resolved.json', undefined, 'trust-rotation.json'),
    );
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('signer: ciReleaseKey.previous');
  });

  it('revocations and bootstrap-nonces', async () => {
    for (const name of ['revocations', 'bootstrap-nonces']) {
      const r = await runInProcess([
        'verify',
        name,
        '--artifact',
        f(`${name}.json`),
        '--signature',
        f(`${name}.json.sig`),
        '--trust-file',
        f('trust.json'),
        ...NOW,
        ...WINDOW,
      ]);
      expect(r.code).toBe(0);
      // A sidecar's signature does not verify a different sidecar.
      const other = name === 'revocations' ? 'bootstrap-nonces' : 'revocations';
      const wrong = await runInProcess([
        'verify',
        name,
        '--artifact',
        f(`${name}.json`),
        '--signature',
        f(`${other}.json.sig`),
        '--trust-file',
        f('trust.json'),
        ...NOW,
        ...WINDOW,
      ]);
      expect(wrong.code).toBe(1);
    }
  });

  it('probe: raw and base64 signature files; wrong host key refused; bad key file is exit 2', async () => {
    const args = (sig: string, pub = `keys/${FIXTURE_HOST}_ed25519_key.pub`) => [
      'verify',
      'probe',
      '--payload',
      f(`probe/${FIXTURE_HOST}.json`),
      '--signature',
      sig,
      '--pubkey',
      f(pub),
      '--hostname',
      FIXTURE_HOST,
    ];
    expect((await runInProcess(args(f(`probe/${FIXTURE_HOST}.json.sig`)))).code).toBe(0);
    const b64 = join(tmp, 'probe.sig.b64');
    writeFileSync(
      b64,
      Buffer.from(fixtureBytes(`probe/${FIXTURE_HOST}.json.sig`)).toString('base64') + '\n',
    );
    expect((await runInProcess(args(b64))).code).toBe(0);
    const otherKey = join(tmp, 'other.pub');
    writeFileSync(
      otherKey,
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl other\n',
    );
    const wrong = await runInProcess([
      'verify',
      'probe',
      '--payload',
      f(`probe/${FIXTURE_HOST}.json`),
      '--signature',
      f(`probe/${FIXTURE_HOST}.json.sig`),
      '--pubkey',
      otherKey,
    ]);
    expect(wrong.code).toBe(1);
    expect((await runInProcess(args(f(`probe/${FIXTURE_HOST}.json.sig`), 'trust.json'))).code).toBe(
      2,
    );
  });

  it("probe --evidence: the agent's one-file pair verifies; tampered is 1, malformed or mixed flags 2", async () => {
    const payload = JSON.parse(
      Buffer.from(fixtureBytes(`probe/${FIXTURE_HOST}.json`)).toString('utf8'),
    ) as Record<string, unknown>;
    const signature = Buffer.from(fixtureBytes(`probe/${FIXTURE_HOST}.json.sig`)).toString(
      'base64',
    );
    const write = (name: string, body: string): string => {
      const p = join(tmp, name);
      writeFileSync(p, body);
      return p;
    };
    const pub = ['--pubkey', f(`keys/${FIXTURE_HOST}_ed25519_key.pub`)];
    const run = (file: string, extra: string[] = []) =>
      runInProcess(['verify', 'probe', '--evidence', file, ...pub, ...extra]);
    // Key order and spacing of the file do not matter: the signed bytes are the JCS form.
    const good = write('good.evidence.json', JSON.stringify({ signature, payload }, null, 2));
    expect((await run(good, ['--hostname', FIXTURE_HOST])).code).toBe(0);
    // The control plane's events[].evidence: the exact signed bytes as text.
    const jcs = Buffer.from(fixtureBytes(`probe/${FIXTURE_HOST}.json`)).toString('utf8');
    const fromCp = write('cp.evidence.json', JSON.stringify({ payloadJcs: jcs, signature }));
    expect((await run(fromCp, ['--hostname', FIXTURE_HOST])).code).toBe(0);
    const cpFlipped = write(
      'cp-flipped.evidence.json',
      JSON.stringify({ payloadJcs: jcs.replace('"', "'"), signature }),
    );
    expect((await run(cpFlipped)).code).toBe(1);
    const tampered = write(
      'tampered.evidence.json',
      JSON.stringify({ payload: { ...payload, status: 'fail' }, signature }),
    );
    expect((await run(tampered)).code).toBe(1);
    for (const [name, body] of [
      ['notjson', '{"payload":'],
      ['array', '[]'],
      ['nopayload', JSON.stringify({ signature })],
      ['shortsig', JSON.stringify({ payload, signature: 'AAAA' })],
      ['nosig', JSON.stringify({ payload })],
    ] as const) {
      const r = await run(write(`${name}.evidence.json`, body));
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toContain('--evidence');
    }
    const mixed = await run(good, ['--payload', f(`probe/${FIXTURE_HOST}.json`)]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--evidence replaces --payload and --signature');
    const neither = await runInProcess(['verify', 'probe', ...pub]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('give --evidence, or both --payload and --signature');
  });

  it('bootstrap-token: valid now, expired later, wrong host', async () => {
    const args = [
      'verify',
      'bootstrap-token',
      '--token',
      f('bootstrap-token.json'),
      '--trust-file',
      f('trust.json'),
    ];
    expect((await runInProcess([...args, ...NOW, '--hostname', FIXTURE_HOST])).code).toBe(0);
    const expired = await runInProcess([...args, '--now', '2026-02-01T00:00:00Z']);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain('TRUST_ERR_EXPIRED');
    expect((await runInProcess([...args, ...NOW, '--hostname', 'host-00001'])).code).toBe(1);
  });

  it('defaults --now to the clock (the in-process clock here)', async () => {
    const late = await runInProcess(
      artifactArgs().filter((a) => !NOW.includes(a)),
      { now: new Date('2026-03-01T00:00:00Z') },
    );
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('TRUST_ERR_STALE');
  });
});
