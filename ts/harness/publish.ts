// Publishing one generation of a scenario the way CI would: a real
// `nixfleet release` process — nix-build of every host's toplevel, a push hook
// into the signed file binary cache (or unsigned for hosts the generation
// marks `signed = false`), openssl as the external sign hook, smoke verify,
// atomic write into the release directory the control plane polls.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HarnessScenario } from '../contracts/index.ts';
import type { RunFixtures } from './fixtures.ts';

const run = promisify(execFile);
export const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** What a release produced. */
export interface Published {
  readonly generation: string;
  readonly ciCommit: string;
  /** host → closure basename. */
  readonly closures: Readonly<Record<string, string>>;
  readonly rolloutIds: readonly string[];
}

/** Releases `generation` of the scenario into `releaseDir`. */
export async function publishGeneration(options: {
  readonly scenario: HarnessScenario;
  readonly scenarioFile: string;
  readonly generation: string;
  readonly fixtures: RunFixtures;
  readonly workDir: string;
  readonly releaseDir: string;
  readonly cacheDir: string;
  readonly sequence: number;
  /** Signing time (RFC 3339) when CI signs as of another instant; default the clock. */
  readonly signedAt?: string;
  /** `host:name` irrevocable changes the release accepts (accepted by "harness"). */
  readonly acceptIrrevocable?: readonly string[];
  /** The release must be refused with this code; resolves null when it is. */
  readonly expectRefused?: string | null;
  /** Text the expected refusal must contain. */
  readonly expectMessage?: readonly string[];
}): Promise<Published | null> {
  const { scenario, generation, fixtures } = options;
  const gen = scenario.generations[generation];
  if (!gen) throw new Error(`scenario ${scenario.name}: unknown generation ${generation}`);
  const dir = join(options.workDir, 'fleets');
  mkdirSync(dir, { recursive: true });
  const fleetFile = join(dir, `${generation}.nix`);
  writeFileSync(
    fleetFile,
    `import ${REPO}/tests/harness/nix/generation.nix { scenarioFile = ${JSON.stringify(options.scenarioFile)}; generation = ${JSON.stringify(generation)}; runnerFile = ${JSON.stringify(fixtures.runnerFile)}; }\n`,
  );
  const unsigned = Object.keys(scenario.fleet['hosts'] as Record<string, unknown>).filter(
    (h) => (gen.hosts?.[h] ?? gen.default)?.signed === false,
  );
  const pushScript = join(options.workDir, 'push.sh');
  writeFileSync(
    pushScript,
    [
      '#!/bin/sh',
      '# Harness push hook: signed into the cache, except hosts listed in UNSIGNED_HOSTS',
      '# (a closure pushed bypassing signing, which agents must refuse).',
      'set -e',
      'case " $UNSIGNED_HOSTS " in',
      '  *" $NIXFLEET_HOST "*) exec nix --extra-experimental-features nix-command copy --to "file://$HARNESS_CACHE" "$NIXFLEET_PATH" ;;',
      'esac',
      'exec nix --extra-experimental-features nix-command copy --to "file://$HARNESS_CACHE?secret-key=$HARNESS_CACHE_KEY" "$NIXFLEET_PATH"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const ciCommit = createHash('sha256')
    .update(`${scenario.name}/${generation}/${options.sequence}`)
    .digest('hex')
    .slice(0, 12);
  const sign = `openssl pkeyutl -sign -inkey ${fixtures.ciKeyFile} -rawin -in "$NIXFLEET_INPUT" -out "$NIXFLEET_OUTPUT"`;
  const argv = [
    join(REPO, 'bin/nixfleet.mjs'),
    'release',
    '--fleet-file',
    fleetFile,
    '--sign-cmd',
    sign,
    '--push-cmd',
    `sh ${pushScript}`,
    '--trust-file',
    fixtures.trustFile,
    '--release-dir',
    options.releaseDir,
    '--ci-commit',
    ciCommit,
    '--force-resign',
    '--json',
    ...(options.signedAt ? ['--now', options.signedAt] : []),
    ...(options.acceptIrrevocable ?? []).flatMap((a) => ['--accept-irrevocable-change', a]),
    ...((options.acceptIrrevocable ?? []).length > 0 ? ['--accepted-by', 'harness'] : []),
  ];
  try {
    const { stdout } = await run(process.execPath, argv, {
      cwd: REPO,
      env: {
        ...process.env,
        UNSIGNED_HOSTS: unsigned.join(' '),
        HARNESS_CACHE: options.cacheDir,
        HARNESS_CACHE_KEY: fixtures.cacheKey.secretKeyFile,
      },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
    });
    if (options.expectRefused) {
      throw new Error(
        `releasing generation ${generation} succeeded, but the scenario expects it refused with ${options.expectRefused}`,
      );
    }
    const summary = JSON.parse(stdout) as { closures: Record<string, string>; rollouts: string[] };
    return { generation, ciCommit, closures: summary.closures, rolloutIds: summary.rollouts };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    if (
      options.expectRefused &&
      err.stderr?.includes(`nixfleet release: ${options.expectRefused}:`)
    ) {
      const missing = (options.expectMessage ?? []).filter((m) => !err.stderr!.includes(m));
      if (missing.length === 0) return null;
      throw new Error(
        `releasing generation ${generation} was refused with ${options.expectRefused}, but without ${missing.map((m) => JSON.stringify(m)).join(', ')}:\n${err.stderr.trim()}`,
      );
    }
    throw new Error(
      `releasing generation ${generation} failed: ${err.stderr?.trim() || err.message}`,
    );
  }
}

/**
 * The audit trail of accepted irrevocable changes: `nixfleet verify artifact`
 * on the published fleet.resolved must show each `host:name` as accepted.
 */
export async function checkAcceptancesAudited(
  releaseDir: string,
  trustFile: string,
  accepted: readonly string[],
): Promise<void> {
  const { stdout } = await run(
    process.execPath,
    [
      join(REPO, 'bin/nixfleet.mjs'),
      'verify',
      'artifact',
      '--artifact',
      join(releaseDir, 'fleet.resolved.json'),
      '--signature',
      join(releaseDir, 'fleet.resolved.json.sig'),
      '--trust-file',
      trustFile,
      '--freshness-window-secs',
      '24h',
    ],
    { cwd: REPO, timeout: 60_000 },
  );
  for (const a of accepted) {
    const [host, name] = [a.slice(0, a.indexOf(':')), a.slice(a.indexOf(':') + 1)];
    if (!stdout.includes(`accepted irrevocable change: ${host} ${name} `)) {
      throw new Error(`nixfleet verify does not show the acceptance of ${a}:\n${stdout}`);
    }
  }
}

/**
 * A scenario's release step: signs as of `signedAgoSecs` back when the step
 * says so, expects the refusal it names, and checks that `nixfleet verify`
 * shows every irrevocable change it accepts. Null when refused as expected.
 */
export async function publishStep(
  step: HarnessScenario['steps'][number],
  base: Omit<
    Parameters<typeof publishGeneration>[0],
    'signedAt' | 'acceptIrrevocable' | 'expectRefused' | 'expectMessage'
  >,
  note: (line: string) => void,
): Promise<Published | null> {
  const accept = step.acceptIrrevocable ?? [];
  const p = await publishGeneration({
    ...base,
    signedAt: step.signedAgoSecs
      ? new Date(Date.now() - step.signedAgoSecs * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
      : undefined,
    acceptIrrevocable: accept,
    expectRefused: step.expectRefused ?? null,
    expectMessage: step.expectMessage ?? [],
  });
  if (p === null) {
    note(`release of ${base.generation} refused with ${step.expectRefused}, as expected`);
    return null;
  }
  if (accept.length > 0) {
    await checkAcceptancesAudited(base.releaseDir, base.fixtures.trustFile, accept);
    note(`nixfleet verify shows the acceptance of ${accept.join(', ')}`);
  }
  return p;
}
