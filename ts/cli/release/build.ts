// Building the selected hosts' toplevels at fleet scale: one evaluation per
// source (the fleet file or flake, and each pinned commit) writes every
// selected host's .drv and returns { host: { drv, out } }, then one
// `nix-store --realise` builds all of them in parallel (--max-jobs). Paths are
// tied to hosts by the evaluation's keys, never by the order Nix prints them.
//
// A failure is attributed to its host only when one happens: a failed batch
// evaluation is re-run per host (bounded concurrency) to find which hosts
// throw; a failed build is re-run per host whose output is still missing, so
// each failure carries its own Nix message. The happy path never pays for it.
//
// Host names travel as --argstr JSON (fleet file) or an environment variable
// read by a constant --apply expression (flakes), never as expression text.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runNix, type NixResult } from '../../nix/index.ts';
import { ReleaseError } from './errors.ts';
import type { FleetSource } from './nix-steps.ts';

const EVAL_NIX = fileURLToPath(new URL('../../../lib/release/eval.nix', import.meta.url));

/** Env var carrying the selected host names (JSON list) to the flake --apply expression. */
const HOSTS_ENV = 'NIXFLEET_RELEASE_HOSTS';
const FLAKE_APPLY = `cs: builtins.listToAttrs (map (h: { name = h; value = let t = cs.\${h}.config.system.build.toplevel; in { drv = t.drvPath; out = t.outPath; }; }) (builtins.fromJSON (builtins.getEnv "${HOSTS_ENV}")))`;

/** One host to build; `pinRef` is the flake ref of its pinned commit. */
export interface BuildTarget {
  readonly host: string;
  readonly pinRef?: string;
}

/** Options of {@link buildHosts}. */
export interface BuildOptions {
  /** Nix's --max-jobs and the bound on per-host fallbacks; null = Nix's default. */
  readonly jobs: number | null;
  /** GC root prefix keeping the built toplevels alive until the release ends. */
  readonly gcRoot: string;
  readonly timeoutMs?: number;
  readonly log: (line: string) => void;
}

/** What evaluating toplevels needs of {@link BuildOptions}. */
export type EvalOptions = Omit<BuildOptions, 'gcRoot'>;

/** A host's toplevel derivation and the store path it builds. */
export interface Instantiated {
  readonly drv: string;
  readonly out: string;
}

/** Where a group of hosts is evaluated from. */
type Origin =
  | { readonly kind: 'source'; readonly source: FleetSource }
  | { readonly kind: 'pin'; readonly ref: string };

/**
 * Runs `fn` over `items` with at most `limit` in flight; resolves with every
 * result in input order (no rejection short-circuits the others).
 */
export async function boundedAll<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i]!) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function nixMessage(r: NixResult<unknown>): string {
  return r.ok ? '' : r.stderr.trim() || r.message;
}

function flakeArgs(ref: string): string[] {
  // Pinned commits and --flake sources are flakes; Nix 2.8 gates them.
  return [
    'eval',
    '--extra-experimental-features',
    'flakes',
    '--json',
    '--impure',
    ref,
    '--apply',
    FLAKE_APPLY,
  ];
}

async function instantiate(
  origin: Origin,
  hosts: readonly string[],
  timeoutMs: number,
): Promise<NixResult<Record<string, Instantiated>>> {
  const r =
    origin.kind === 'source' && origin.source.kind === 'fleet-file'
      ? await runNix(
          'nix-instantiate',
          [
            '--eval',
            '--strict',
            '--json',
            '--read-write-mode',
            EVAL_NIX,
            '--argstr',
            'fleetFile',
            origin.source.file,
            '--argstr',
            'hostsJson',
            JSON.stringify(hosts),
            '-A',
            'instantiate',
          ],
          { timeoutMs },
        )
      : await runNix(
          'nix',
          flakeArgs(
            `${origin.kind === 'pin' ? origin.ref : origin.source.kind === 'flake' ? origin.source.dir : ''}#nixosConfigurations`,
          ),
          { timeoutMs, env: { [HOSTS_ENV]: JSON.stringify(hosts) } },
        );
  if (!r.ok) return r;
  const value = JSON.parse(r.value) as Record<string, Instantiated>;
  for (const h of hosts) {
    const v = value[h];
    if (typeof v?.drv !== 'string' || typeof v.out !== 'string') {
      return {
        ok: false,
        kind: 'bad-json',
        command: [],
        exitCode: 0,
        stderr: '',
        message: `evaluation returned no derivation for host ${h}`,
      };
    }
  }
  return { ok: true, value, stderr: r.stderr };
}

function originLabel(origin: Origin): string {
  if (origin.kind === 'pin') return `pinned commit ${origin.ref}`;
  return origin.source.kind === 'fleet-file' ? origin.source.file : `${origin.source.dir}#fleet`;
}

/** Evaluates one group; on failure, per host, to name every host that throws. */
async function evaluateGroup(
  origin: Origin,
  hosts: readonly string[],
  opts: EvalOptions,
  timeoutMs: number,
): Promise<Record<string, Instantiated>> {
  const batch = await instantiate(origin, hosts, timeoutMs);
  if (batch.ok) return batch.value;
  opts.log(
    `evaluation failed; evaluating the ${hosts.length} host(s) one by one to name the failing ones`,
  );
  const each = await boundedAll(hosts, opts.jobs ?? 2, async (h) => {
    const r = await instantiate(origin, [h], timeoutMs);
    return r.ok ? null : { host: h, message: nixMessage(r) };
  });
  const failed = each.flatMap((e) => (e.status === 'fulfilled' && e.value ? [e.value] : []));
  const hostsNamed = failed.map((f) => f.host);
  throw new ReleaseError(
    'RELEASE_ERR_EVAL',
    failed.length > 0
      ? failed
          .map((f) => `evaluating host ${f.host} (${originLabel(origin)}) failed:\n${f.message}`)
          .join('\n')
      : `evaluating hosts ${hosts.join(', ')} (${originLabel(origin)}) failed:\n${nixMessage(batch)}`,
    { context: { hosts: failed.length > 0 ? hostsNamed : [...hosts] } },
  );
}

function realiseArgs(drvs: readonly string[], jobs: number | null, gcRoot: string): string[] {
  return [
    '--realise',
    ...drvs,
    '--keep-going',
    ...(jobs === null ? [] : ['--max-jobs', String(jobs)]),
    '--add-root',
    gcRoot,
  ];
}

/**
 * Evaluates every target's toplevel (one evaluation per origin) without
 * building: host → { drv, out }. Throws RELEASE_ERR_EVAL naming failing hosts.
 */
export async function instantiateHosts(
  source: FleetSource,
  targets: readonly BuildTarget[],
  opts: EvalOptions,
): Promise<Record<string, Instantiated>> {
  const timeoutMs = opts.timeoutMs ?? 3_600_000;
  const groups = new Map<string, { origin: Origin; hosts: string[] }>();
  for (const t of targets) {
    const key = t.pinRef ?? '';
    const origin: Origin = t.pinRef ? { kind: 'pin', ref: t.pinRef } : { kind: 'source', source };
    const g = groups.get(key) ?? { origin, hosts: [] };
    g.hosts.push(t.host);
    groups.set(key, g);
  }
  const instantiated: Record<string, Instantiated> = {};
  for (const { origin, hosts } of groups.values()) {
    opts.log(`evaluating ${hosts.length} toplevel(s) from ${originLabel(origin)}`);
    Object.assign(instantiated, await evaluateGroup(origin, hosts, opts, timeoutMs));
  }
  return instantiated;
}

/**
 * Builds every target's toplevel with one evaluation per origin and one
 * `nix-store --realise`; returns host → store path, or throws a
 * {@link ReleaseError} naming each failing host with Nix's message for it.
 */
export async function buildHosts(
  source: FleetSource,
  targets: readonly BuildTarget[],
  opts: BuildOptions,
): Promise<Record<string, string>> {
  if (targets.length === 0) return {};
  const timeoutMs = opts.timeoutMs ?? 3_600_000;
  const instantiated = await instantiateHosts(source, targets, opts);
  const hosts = targets.map((t) => t.host);
  opts.log(
    `building ${hosts.length} toplevel(s)${opts.jobs === null ? '' : ` (--max-jobs ${opts.jobs})`}`,
  );
  const drvs = [...new Set(hosts.map((h) => instantiated[h]!.drv))];
  const r = await runNix('nix-store', realiseArgs(drvs, opts.jobs, opts.gcRoot), { timeoutMs });
  const missing = hosts.filter((h) => !existsSync(instantiated[h]!.out));
  if (r.ok && missing.length === 0) {
    return Object.fromEntries(hosts.map((h) => [h, instantiated[h]!.out]));
  }
  // Attribute: rebuild only the hosts whose toplevel is missing, one by one.
  const suspects = missing.length > 0 ? missing : hosts;
  opts.log(`build failed; building ${suspects.join(', ')} one by one to name the failing ones`);
  const each = await boundedAll(suspects, opts.jobs ?? 2, async (h) => {
    const one = await runNix('nix-store', ['--realise', instantiated[h]!.drv], { timeoutMs });
    return one.ok && existsSync(instantiated[h]!.out)
      ? null
      : { host: h, message: nixMessage(one) || 'nix printed no output path' };
  });
  const failed = each.flatMap((e) => (e.status === 'fulfilled' && e.value ? [e.value] : []));
  throw new ReleaseError(
    'RELEASE_ERR_BUILD',
    failed.length > 0
      ? failed.map((f) => `building host ${f.host} failed:\n${f.message}`).join('\n')
      : `building hosts ${hosts.join(', ')} failed:\n${nixMessage(r)}`,
    { context: { hosts: failed.length > 0 ? failed.map((f) => f.host) : hosts } },
  );
}
