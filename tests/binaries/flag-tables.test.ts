// The programs' flag tables against what is generated from them and what
// the NixOS modules render: the docs' generated blocks are current
// (`npm run gen:flags`), and each module option either renders the flag
// the table names for it — with the option's example value carried through
// in the flag's unit — or is on the short list of options that are not
// flags. The modules are evaluated from their real declarations
// (tests/modules/flag-table.nix, lib/schema, nix-instantiate).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDuration, type DurationUnit } from '../../ts/core/duration.ts';
import { generatedBlocks, PROGRAMS, replaceBlock } from '../../ts/flags/docs.ts';
import { flagName, type FlagSpec } from '../../ts/flags/spec.ts';

const root = join(import.meta.dirname, '..', '..');

interface OptionLeaf {
  readonly path: readonly string[];
  readonly example: unknown;
  readonly argv: readonly string[] | null;
  readonly defaultArgv: readonly string[];
}
type Modules = Record<'agent' | 'cp' | 'compliance', readonly OptionLeaf[]>;

/** Module options that are not flags of the program, and why. */
const NOT_FLAGS: Readonly<Record<keyof Modules, Readonly<Record<string, string>>>> = {
  agent: {
    enable: 'installs the unit',
    'controlPlane.url':
      'rendered as the first URL of --control-plane-url (controlPlane.urls holds the rest)',
    healthChecks: 'rendered into health-checks.json, passed as --health-checks-config',
    fleetHealthChecks: 'rendered into health-checks.json, passed as --health-checks-config',
    extraArgs: 'appended verbatim',
  },
  cp: {
    enable: 'installs the unit',
    openFirewall: 'a firewall rule',
    extraArgs: 'appended verbatim',
  },
  compliance: {
    enable: 'installs the unit and timer',
    frameworks: 'rendered into controls.json, passed as --controls',
    interval: 'the systemd timer (OnUnitActiveSec), not the collector',
  },
};

const PROGRAM_OF: Readonly<Record<keyof Modules, string>> = {
  agent: 'nixfleet-agent',
  cp: 'nixfleet-control-plane',
  compliance: 'nixfleet-compliance-collect',
};

let modules: Modules;
beforeAll(() => {
  const out = execFileSync(
    'nix-instantiate',
    ['--eval', '--strict', '--json', join(root, 'tests/modules/flag-table.nix')],
    {
      encoding: 'utf8',
      env: { ...process.env, NIX_CONFIG: 'experimental-features = nix-command' },
    },
  );
  modules = JSON.parse(out) as Modules;
});

describe('generated flag references in docs/', () => {
  it.each(generatedBlocks().map((b) => [b.page, b.id, b.text] as const))(
    '%s: %s is current (npm run gen:flags)',
    (page, id, text) => {
      const now = readFileSync(join(root, page), 'utf8');
      expect(replaceBlock(now, id, text) === now, `${page} is stale: run npm run gen:flags`).toBe(
        true,
      );
    },
  );
});

/** The value argv carries for `spec`, as the program would read it. */
function flagValue(spec: FlagSpec, argv: readonly string[]): unknown {
  const i = argv.indexOf(flagName(spec));
  if (i < 0) return undefined;
  if (spec.type === 'switch') return true;
  const v = argv[i + 1] as string;
  if (spec.type === 'list') return v.split(',');
  if (spec.type === 'duration') {
    const r = parseDuration(v, { bareUnit: spec.unit ?? 's' });
    return r.ok ? r.ms : r.message;
  }
  return v;
}

/**
 * The unit of each module option that sets a duration flag, as its
 * declaration documents it (a plain integer there): what an operator
 * writes in configuration.nix must mean the same to the program.
 */
const MODULE_UNITS: Readonly<Record<string, DurationUnit>> = {
  pollInterval: 's',
  confirmDeadlineSecs: 's',
  leaderRetrySecs: 's',
  freshnessWindowMinutes: 'm',
  certValidityDays: 'd',
  timeoutSecs: 's',
  'notifications.heldAfterMinutes': 'm',
};

/** The option's example as the flag should carry it. */
function expected(spec: FlagSpec, example: unknown): unknown {
  // argv carries text: a numeric option's example is rendered with toString.
  if (spec.type !== 'duration') return typeof example === 'number' ? String(example) : example;
  const unit = MODULE_UNITS[spec.nixos as string];
  if (unit === undefined) return `no MODULE_UNITS entry for ${String(spec.nixos)}`;
  const r = parseDuration(String(example), { bareUnit: unit });
  return r.ok ? r.ms : r.message;
}

describe.each(['agent', 'cp', 'compliance'] as const)('services module of %s', (mod) => {
  const program = PROGRAMS.find((p) => p.name === PROGRAM_OF[mod]);
  const flags = program?.flags ?? [];
  const leaf = (path: string): OptionLeaf | undefined =>
    modules[mod].find((l) => l.path.join('.') === path);

  it('every module option is a flag of the table or listed as not one', () => {
    const claimed = new Set(flags.flatMap((f) => (f.nixos === undefined ? [] : [f.nixos])));
    const unaccounted = modules[mod]
      .map((l) => l.path.join('.'))
      .filter((p) => !claimed.has(p) && NOT_FLAGS[mod][p] === undefined);
    expect(unaccounted).toEqual([]);
    const gone = Object.keys(NOT_FLAGS[mod]).filter((p) => leaf(p) === undefined);
    expect(gone).toEqual([]);
  });

  it.each(
    flags
      .filter((f) => f.nixos !== undefined)
      .map((f) => [f.nixos as string, flagName(f), f] as const),
  )('%s renders %s with its example in the flag unit', (path, _, spec) => {
    const l = leaf(path);
    expect(l, `${program?.module}.${path} is not an option of the module`).toBeDefined();
    expect(l?.argv, `${path} has no example the module renders`).not.toBeNull();
    expect(flagValue(spec, l?.argv ?? [])).toEqual(expected(spec, l?.example));
  });

  // A host configured through the module and one started by hand must not
  // differ: where the module renders a default, it is the flag's default.
  it.each(
    flags
      .filter((f) => f.nixos !== undefined && f.default !== undefined)
      .map((f) => [f.nixos as string, flagName(f), f] as const),
  )('%s defaults to the default of %s', (path, name, spec) => {
    const rendered = leaf(path)?.defaultArgv ?? [];
    if (!rendered.includes(name)) return;
    expect(flagValue(spec, rendered)).toEqual(flagValue(spec, [name, spec.default as string]));
  });
});
