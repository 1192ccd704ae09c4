// The world of the auditor's statement tests: a fleet of web-01 and web-02
// with declared host keys, a release history of two real releases made by
// `nixfleet release` and committed with --git-commit, real host-signed
// evidence (the nixfleet-compliance-collect binary, and the agent's own
// evidence probe and signing code), and an export of rollout events in the
// shape `nixfleet rollout events <id> --json` prints. Days are relative to
// the real clock, because the collector stamps its evidence with it.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { storeEvidence, signProbeResult } from '../../../ts/agent/probes/evidence.ts';
import type { ProbeSpec } from '../../../ts/agent/probes/config.ts';
import { runProbe } from '../../../ts/agent/probes/runners.ts';
import { releaseCommand } from '../../../ts/cli/commands/release.ts';
import { validateContract, type ComplianceControl } from '../../../ts/contracts/index.ts';
import { toRfc3339 } from '../../../ts/core/index.ts';
import {
  exportPkcs8Pem,
  formatOpenSshPublicKey,
  generatePrivateKey,
  type PrivateKey,
} from '../../../ts/trust/index.ts';
import { flags, io, tmp, trustFile } from '../../release/support/world.ts';
import { runOp, type Run } from './run.ts';

export const DAY = 86_400_000;
const midnight = (ms: number): number => Math.floor(ms / DAY) * DAY;
/** Today (UTC midnight) when the world was built; D0 = two days before. */
export const TODAY = midnight(Date.now());
export const D0 = TODAY - 2 * DAY;
export const D1 = TODAY - DAY;
export const day = (ms: number): string => toRfc3339(ms).slice(0, 10);
export const at = (ms: number): string => toRfc3339(ms);

export const repo = join(tmp, 'fleet-repo');
export const releases = join(repo, 'releases');
export const evidenceDir = join(tmp, 'evidence');
export const web01 = generatePrivateKey('ed25519');
export const web02 = generatePrivateKey('ed25519');

export interface AuditWorld {
  /** web-01's closure in release 1 (signed D0 00:30) and release 2 (D1 06:00). */
  readonly c1: string;
  readonly c2: string;
  /** Signed evidence files of web-01 (real collector today; agent on D0, and 5 days ago). */
  readonly collector: string;
  readonly agentD0: string;
  readonly agentOld: string;
  /** The events export (ProbeResults of web-01 and web-02 with their evidence). */
  readonly events: string;
  /** web-02's own collector evidence. */
  readonly web02Evidence: string;
}

const git = (...args: string[]): string =>
  execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });

function fleet(gen: string, key01: PrivateKey, compliance: boolean): string {
  const file = join(tmp, `audit-${gen}.nix`);
  const pk = (k: PrivateKey, h: string) => formatOpenSshPublicKey(k.publicKey.raw, `root@${h}`);
  writeFileSync(
    file,
    `{ mkFleet, ... }:
let
  top = host: builtins.derivation {
    name = "nixos-system-\${host}-${gen}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    PATH = "/bin:/usr/bin";
    checks = ${compliance ? 'builtins.toJSON fleet.healthChecks.' + '${host}' : '""'};
    args = [ "-c" "mkdir -p $out/bin $out/etc/nixfleet/agent; printf '#!/bin/sh\\\\nexit 0\\\\n' > $out/bin/switch-to-configuration; chmod +x $out/bin/switch-to-configuration; [ -z \\"$checks\\" ] || printf '%s' \\"$checks\\" > $out/etc/nixfleet/agent/health-checks.json" ];
  };
  host = name: key: { system = builtins.currentSystem; channel = "stable"; pubkey = key; configuration.config.system.build.toplevel = top name; };
  fleet = mkFleet {
  hosts.web-01 = host "web-01" "${pk(key01, 'web-01')}";
  hosts.web-02 = host "web-02" "${pk(web02, 'web-02')}";
  channels.stable = { rolloutPolicy = "all"; freshnessWindow = 1440; ${compliance ? 'compliance = { frameworks = [ "nis2-essential" ]; mode = "observe"; };' : ''} };
  rolloutPolicies.all = { strategy = "all-at-once"; allowNoEnforceProbes = true; };
  };
in
fleet
`,
  );
  return file;
}

/**
 * One real `nixfleet release --git-commit` into `dir` (a git checkout), signed at `now`;
 * web-01 declares `key01`. Returns web-01's closure.
 *
 * @example await releaseInto(releases, 'g3', D1 + 18 * 3_600_000, '3333333333cccccc', newKey)
 */
export async function releaseInto(
  dir: string,
  gen: string,
  now: number,
  commit: string,
  key01: PrivateKey = web01,
  compliance = false,
): Promise<string> {
  const c = io();
  const code = await releaseCommand(
    c,
    flags({
      fleetFile: fleet(gen, key01, compliance),
      releaseDir: dir,
      gitCommit: true,
      now: at(now),
      ciCommit: commit,
    }),
  );
  expect(code, c.err.join('\n')).toBe(0);
  const resolved = JSON.parse(readFileSync(join(dir, 'fleet.resolved.json'), 'utf8')) as {
    hosts: Record<string, { closureHash: string }>;
  };
  return resolved.hosts['web-01']!.closureHash;
}

const controls: ComplianceControl[] = [
  ['ssh-root-login-disabled', 'echo "PermitRootLogin yes"', 'permitrootlogin', 'no'],
  [
    'ssh-password-auth-disabled',
    'echo "PasswordAuthentication no"',
    'passwordauthentication',
    'no',
  ],
].map(([id, script, field, want]) => ({
  id: id!,
  title: `${id} holds.`,
  rationale: 'test',
  frameworks: { 'nis2-essential': ['art.21(2)(i)'] },
  static: { optionPaths: [] },
  probe: {
    command: ['sh', '-c', script!],
    output: 'key-value',
    expectedShape: { [field!]: 'string' },
    expect: { [field!]: [want!], exitCode: [0] },
    schemaVersion: 1,
  },
}));

/** Runs the real collector as `host` with its key over `only` (default all) of the test controls; the running closure is `closure`. */
export async function collect(
  host: string,
  key: PrivateKey,
  closure: string,
  out: string,
  only?: string,
): Promise<void> {
  const dir = join(tmp, `collect-${host}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'controls.json'),
    JSON.stringify(controls.filter((c) => only === undefined || c.id === only)),
  );
  writeFileSync(join(dir, 'key'), exportPkcs8Pem(key), { mode: 0o600 });
  symlinkSync(`/nix/store/${closure}`, join(dir, 'current-system'));
  const bin = join(import.meta.dirname, '../../../bin/nixfleet-compliance-collect.mjs');
  await promisify(execFile)(process.execPath, [
    bin,
    ...['--controls', join(dir, 'controls.json'), '--host-key', join(dir, 'key')],
    ...['--hostname', host, '--out', out, '--current-system', join(dir, 'current-system')],
  ]);
}

/** The agent's evidence probe over `file`, signed at `atMs` as the agent does. */
async function agentEvidence(file: string, atMs: number, generation: string, key = web01) {
  const spec: ProbeSpec = {
    name: 'evidence-nis2-essential',
    kind: 'evidence',
    intervalSeconds: 60,
    mode: 'enforce',
    framework: 'nis2-essential',
    evidencePath: file,
    reason: null,
    controlOverrides: {},
  };
  const hostname = key === web01 ? 'web-01' : 'web-02';
  const outcome = await runProbe(spec, {
    hostname,
    hostPublicKey: key.publicKey,
    memo: new Map(),
    failedUnits: async () => [],
    hostFile: (p: string) => p,
  });
  expect(outcome.subResults?.length).toBe(2);
  return signProbeResult({
    spec,
    outcome,
    at: atMs,
    hostname,
    bootId: 'boot-1',
    generation,
    rolloutId: 'stable@3f2a9c1d0e4b5a6c',
    key,
  });
}

/** Builds the world once per test file (two releases take a minute on a shared machine). */
export async function buildAuditWorld(): Promise<AuditWorld> {
  mkdirSync(repo, { recursive: true });
  git('init', '-q');
  git('config', 'user.email', 'ci@example.com');
  git('config', 'user.name', 'CI');
  writeFileSync(join(repo, 'README'), 'fleet\n');
  git('add', 'README');
  git('commit', '-qm', 'init');
  const c1 = await releaseInto(releases, 'g1', D0 + 30 * 60_000, '1111111111aaaaaa');
  const c2 = await releaseInto(releases, 'g2', D1 + 6 * 3_600_000, '2222222222bbbbbb');

  mkdirSync(evidenceDir, { recursive: true });
  const collector = join(evidenceDir, 'web-01', 'evidence.json');
  await collect('web-01', web01, c2, collector);
  const web02Evidence = join(tmp, 'web-02-evidence.json');
  await collect('web-02', web02, c2.replace('web-01', 'web-02'), web02Evidence);

  const agentDir = join(evidenceDir, 'web-01', 'agent-d0');
  const e0 = await agentEvidence(collector, D0 + 10 * 3_600_000, c1);
  storeEvidence(agentDir, e0);
  const agentD0 = join(agentDir, 'evidence-nis2-essential.evidence.json');
  const oldDir = join(tmp, 'agent-old');
  storeEvidence(oldDir, await agentEvidence(collector, D0 - 3 * DAY, c1));
  const agentOld = join(oldDir, 'evidence-nis2-essential.evidence.json');

  // What `nixfleet rollout events <id> --json` prints: ProbeResults with the evidence the CP kept.
  const e1 = await agentEvidence(collector, D0 + 14 * 3_600_000, c1);
  const e2 = await agentEvidence(
    web02Evidence,
    D0 + 14 * 3_600_000,
    c1.replace('web-01', 'web-02'),
    web02,
  );
  // As the CP's route serves it: the stored body (with its evidence) as `payload` and `body`.
  const event = (seq: number, e: typeof e1) => {
    const evidence = {
      payloadJcs: new TextDecoder().decode(e.bytes),
      signature: e.signatureBase64,
    };
    const body = {
      kind: 'ProbeResult',
      probe_name: e.payload.probe,
      status: e.payload.status,
      evidence,
    };
    return {
      seq,
      at: e.payload.ts,
      hostname: e.payload.hostname,
      kind: 'ProbeResult',
      payload: body,
      body,
      evidence,
    };
  };
  const doc = {
    rolloutId: 'stable@3f2a9c1d0e4b5a6c',
    events: [
      event(1, e1),
      event(2, e2),
      { seq: 3, at: at(D0), hostname: 'web-01', kind: 'Converged', payload: {}, evidence: null },
    ],
  };
  expect(validateContract('api-rollout-events', doc).ok).toBe(true);
  const events = join(tmp, 'events-stable.json');
  writeFileSync(events, JSON.stringify(doc, null, 2));
  return { c1, c2, collector, agentD0, agentOld, events, web02Evidence };
}

/** `nixfleet audit web-01` over the world: D0..today, the git history, all evidence. */
export function auditArgs(
  w: AuditWorld,
  over: { from?: number; trust?: string; evidence?: string[] } = {},
): string[] {
  return [
    'audit',
    'web-01',
    ...['--from', day(over.from ?? D0), '--to', day(TODAY)],
    ...['--trust', over.trust ?? trustFile, '--release-git', releases],
    ...(over.evidence ?? [evidenceDir, w.events]).flatMap((e) => ['--evidence', e]),
  ];
}

/** Runs the real CLI in-process at the real clock (the collector's evidence is of now). */
export const audit = (args: string[]): Promise<Run> => runOp(args, { now: new Date() });

/** A copy of `file` with bit `bit` of byte `offset` flipped. */
export function flipped(file: string, offset: number, bit = 0): string {
  const bytes = new Uint8Array(readFileSync(file));
  bytes[offset]! ^= 1 << bit;
  const out = join(tmp, `flipped-${Math.random().toString(36).slice(2)}-${file.split('/').pop()}`);
  writeFileSync(out, bytes);
  return out;
}

/** Byte offset of `needle` in `file` (which must hold it). */
export function offsetOf(file: string, needle: string): number {
  const i = readFileSync(file, 'latin1').indexOf(needle);
  expect(i, `${needle} in ${file}`).toBeGreaterThanOrEqual(0);
  return i;
}

/** A copy of the working tree's release directory whose `name` went through `tamper`. */
export function tamperedReleaseDir(name: string, tamper: (file: string) => string): string {
  const dir = join(tmp, `rel-${Math.random().toString(36).slice(2)}`);
  cpSync(releases, dir, { recursive: true });
  writeFileSync(join(dir, name), readFileSync(tamper(join(dir, name))));
  return dir;
}

/** `args` reading the release history from the directory `dir` instead of git. */
export function withReleaseDir(args: string[], dir: string): string[] {
  const a = [...args];
  a.splice(a.indexOf('--release-git'), 2, '--release-dir', dir);
  return a;
}
