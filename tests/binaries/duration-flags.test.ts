// Every duration flag of every program, through the parser the binary runs
// (docs/operators.md "Durations"): the control plane's parseConfig, the
// agent's parseAgentConfig (flags and NIXFLEET_AGENT_* variables) and the
// compliance collector's parseCollectorArgs. The daemons' duration flags
// come from their flag tables, so a flag added there is covered here without
// a new row. The CLI's are in tests/cli/duration-flags.test.ts.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../../ts/agent/config/config.ts';
import { FLAGS as AGENT_FLAGS } from '../../ts/agent/config/flags.ts';
import { FLAGS as COLLECTOR_FLAGS, parseCollectorArgs } from '../../ts/compliance/flags.ts';
import { formatDuration, parseDuration, UNIT_MS } from '../../ts/core/duration.ts';
import { parseConfig } from '../../ts/cp/config.ts';
import { run as runCp } from '../../ts/cp/main.ts';
import { FLAGS as CP_FLAGS } from '../../ts/cp/flags.ts';
import { flagName, type FlagSpec } from '../../ts/flags/spec.ts';
import { REFUSED } from './refused-durations.ts';

const durations = (flags: readonly FlagSpec[]): FlagSpec[] =>
  flags.filter((f) => f.type === 'duration');

/** The value of a flag's default in ms, or null for a computed default. */
function defaultMs(f: FlagSpec): number | null {
  if (f.default === undefined) return null;
  const bare = /^\d+(\.\d+)?$/.test(f.default);
  if (bare) return Number(f.default) * UNIT_MS[f.unit ?? 's'];
  const n = /^(\d+)(ms|s|m|h|d)$/.exec(f.default);
  return n ? Number(n[1]) * UNIT_MS[n[2] as keyof typeof UNIT_MS] : null;
}

/** The same duration written three ways: as given, canonically, in ms. */
const spellings = (f: FlagSpec, ms: number): string[] => [
  f.default as string,
  formatDuration(ms),
  `${ms}ms`,
];

describe('nixfleet-control-plane: every duration flag', () => {
  const cp = (key: string, value: string) => () => parseConfig({ db: ':memory:', [key]: value });
  it('has a unit for its plain numbers', () => {
    for (const f of durations(CP_FLAGS)) expect([f.flag, f.unit]).toEqual([f.flag, f.unit ?? '?']);
    expect(durations(CP_FLAGS).length).toBeGreaterThanOrEqual(18);
  });

  describe.each(durations(CP_FLAGS).map((f) => [flagName(f), f] as const))('%s', (_, f) => {
    it.each(REFUSED)('refuses %j as %s with CP_ERR_CONFIG naming the flag', (text, reason) => {
      expect(cp(f.key, text)).toThrow(
        expect.objectContaining({
          code: 'CP_ERR_CONFIG',
          message: expect.stringContaining(flagName(f)),
          details: expect.objectContaining({ reason }),
        }),
      );
    });

    it('reads its default, the canonical spelling and milliseconds alike', () => {
      const ms = defaultMs(f);
      if (ms === null) return;
      const of = (text: string) => JSON.stringify(parseConfig({ db: ':memory:', [f.key]: text }));
      const seen = spellings(f, ms).map(of);
      expect(new Set(seen).size).toBe(1);
    });
  });

  it.each(durations(CP_FLAGS).map((f) => [flagName(f), f] as const))(
    '%s: the program refuses "30m1h" on argv and "-1s" in its variable (exit 2, nothing started)',
    async (name, f) => {
      let stderr = '';
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((chunk: string) => {
        stderr += chunk;
        return true;
      }) as typeof process.stderr.write;
      try {
        const argv = ['node', 'nixfleet-control-plane', 'tick', '--db', ':memory:'];
        expect(await runCp([...argv, name, '30m1h'])).toBe(2);
        process.env[f.env as string] = '-1s';
        expect(await runCp(argv)).toBe(2);
      } finally {
        delete process.env[f.env as string];
        process.stderr.write = write;
      }
      expect(stderr).toContain(`CP_ERR_CONFIG: ${name}: "30m1h" is not a duration`);
      expect(stderr).toContain(`CP_ERR_CONFIG: ${name}: "-1s" is negative`);
    },
  );

  it.each([
    ['90s', 90_000],
    ['1m30s', 90_000],
    ['1.5m', 90_000],
    ['30', 30_000],
    ['0.5', 500],
  ])('--long-poll-secs %s is %i ms', (text, ms) => {
    expect(parseConfig({ db: ':memory:', longPollSecs: text }).timings.longPollMs).toBe(ms);
  });

  it('a plain number keeps the unit of the flag name', () => {
    const c = parseConfig({
      db: ':memory:',
      reconcileDebounceMs: '250',
      artifactFreshnessMinutes: '90',
      certValidityDays: '2',
    });
    expect(c.timings.reconcileDebounceMs).toBe(250);
    expect(c.artifactFreshnessMs).toBe(90 * 60_000);
    expect(c.certValidityMs).toBe(2 * 86_400_000);
  });

  it('bounds: 2h is above --long-poll-secs, 0.5 ms rounds below --confirm-window-secs', () => {
    expect(cp('longPollSecs', '2h')).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ reason: 'above-maximum' }) }),
    );
    expect(cp('confirmWindowSecs', '0.0005')).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ reason: 'below-minimum' }) }),
    );
  });

  it.each(CP_FLAGS.filter((f) => f.type === 'count').map((f) => [flagName(f), f] as const))(
    'count flag %s refuses a fraction, a unit and a negative',
    (_, f) => {
      for (const text of ['2.5', '3s', '-1']) {
        expect(cp(f.key, text)).toThrow(expect.objectContaining({ code: 'CP_ERR_CONFIG' }));
      }
    },
  );
});

describe('nixfleet-agent: every duration flag and its variable', () => {
  const base = { controlPlaneUrl: 'https://cp.example:8443', machineId: 'web-01' };
  const agent = (f: FlagSpec, text: string, via: 'flag' | 'env') => () =>
    via === 'flag'
      ? parseAgentConfig({ ...base, [f.key]: text }, {})
      : parseAgentConfig(base, { [f.env as string]: text });

  describe.each(durations(AGENT_FLAGS).map((f) => [flagName(f), f] as const))('%s', (_, f) => {
    // An empty variable counts as unset (the default applies), so `empty`
    // is asked of the flag only.
    it.each(REFUSED.filter(([t]) => t.trim() !== ''))(
      'refuses %j as %s (flag and variable) with AGENT_ERR_CONFIG naming both',
      (text, reason) => {
        for (const via of ['flag', 'env'] as const) {
          expect(agent(f, text, via)).toThrow(
            expect.objectContaining({
              code: 'AGENT_ERR_CONFIG',
              message: expect.stringContaining(`${flagName(f)} (${f.env as string})`),
              context: expect.objectContaining({ reason }),
            }),
          );
        }
      },
    );

    it('reads its default, the canonical spelling and milliseconds alike', () => {
      const ms = defaultMs(f) as number;
      const of = (text: string) =>
        parseAgentConfig({ ...base, [f.key]: text }, {}).timings[
          (f as FlagSpec & { timing: 'tickMs' }).timing
        ];
      expect(spellings(f, ms).map(of)).toEqual([ms, ms, ms]);
      expect(of('1.5m')).toBe(90_000);
      expect(of('90')).toBe(90_000);
    });
  });

  it('zero: only --clock-skew-slack and --reconnect-spread take it', () => {
    for (const f of durations(AGENT_FLAGS)) {
      const run = agent(f, '0s', 'flag');
      if (f.key === 'clockSkewSlack' || f.key === 'reconnectSpread') expect(run).not.toThrow();
      else
        expect(run).toThrow(
          expect.objectContaining({
            context: expect.objectContaining({ reason: 'below-minimum' }),
          }),
        );
    }
  });
});

describe('nixfleet-compliance-collect: --timeout-secs', () => {
  const collector = (text: string) =>
    parseCollectorArgs(['--controls', 'c.json', `--timeout-secs=${text}`]);
  it('is the only duration flag, in seconds', () => {
    expect(durations(COLLECTOR_FLAGS).map((f) => [flagName(f), f.unit])).toEqual([
      ['--timeout-secs', 's'],
    ]);
  });
  it.each(REFUSED)('refuses %j (%s) with a message naming the flag', (text) => {
    const r = collector(text);
    expect(r).toMatchObject({ ok: false, help: false });
    expect(r.ok === false && !r.help && r.message).toMatch(/^--timeout-secs: /);
  });
  it.each([
    ['120', 120_000],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1.5m', 90_000],
    ['1.5', 1_500],
  ])('%s is %i ms', (text, ms) => {
    expect(collector(text)).toMatchObject({ ok: true, args: { timeoutMs: ms } });
  });
  it('0 is refused (a probe needs time to run)', () => {
    expect(collector('0')).toMatchObject({ ok: false });
  });
});

describe('services.nixfleet-compliance.interval (the collector timer)', () => {
  const root = join(import.meta.dirname, '..', '..');
  const texts = [
    ...REFUSED.map(([t]) => t),
    ...['15m', '1h30m', '1.5h', '90s', '500ms', '7d', '1d12h', '2h', '0.5m', '1m0.5s'],
  ].filter((t) => !/^\d+d$/.test(t) || t === '7d');
  it('accepts what the one grammar accepts (with a unit), and 15min', () => {
    const expr = `
      let
        schema = import ${root}/lib/schema;
        options = import ${root}/modules/scopes/nixfleet/_compliance-options.nix { lib = schema.lib; };
        type = schema.lib.types.submodule { inherit options; };
      in map (v: schema.validate type { enable = true; interval = v; } == [ ]) (builtins.fromJSON ''${JSON.stringify([...texts, '15min'])}'')`;
    const out = execFileSync('nix-instantiate', ['--eval', '--strict', '--json', '--expr', expr], {
      encoding: 'utf8',
    });
    const grammar = texts.map(
      (t) => parseDuration(t, { bareUnit: 's' }).ok && /[a-z]$/.test(t.trim()),
    );
    expect(JSON.parse(out)).toEqual([...grammar, true]);
  });
});
