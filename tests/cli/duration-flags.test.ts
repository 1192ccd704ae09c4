// Every duration flag of every `nixfleet` command, through runCli (the
// whole command line), refused in the one grammar (docs/operators.md
// "Durations") with CLI_ERR_USAGE naming the flag. Each line is the command
// line that reaches the flag, and every duration row of the command tables
// (ts/cli/flags/) must have one, so a new duration flag cannot go untested.
// Each refusal must come before anything is read or connected: the CLI runs
// against files that do not exist and a port nothing listens on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMAND_TABLES } from '../../ts/cli/flags/index.ts';
import { CLIENT_TIMEOUT } from '../../ts/cli/flags/table.ts';
import type { CliIo } from '../../ts/cli/io.ts';
import { runCli } from '../../ts/cli/main.ts';
import { flagName } from '../../ts/flags/spec.ts';
import { REFUSED } from '../binaries/refused-durations.ts';

const tmp = mkdtempSync(join(tmpdir(), 'nixfleet-cli-durations-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('nixfleet: every duration flag of every command', () => {
  const T = tmp;
  const client = [
    ...['--cp-url', 'https://127.0.0.1:1', '--ca-cert', `${T}/none/ca.pem`],
    ...['--client-cert', `${T}/none/op.pem`, '--client-key', `${T}/none/op.key`],
  ];
  const signed = [
    ...['--artifact', `${T}/none/a.json`, '--signature', `${T}/none/a.sig`],
    ...['--trust-file', `${T}/none/trust.json`],
  ];
  /** What a CP-facing command needs before it reads --timeout. */
  const ARGS: Readonly<Record<string, readonly string[]>> = {
    'rollout hosts': ['stable@abc'],
    'rollout events': ['stable@abc'],
    'rollout trace': ['stable@abc'],
    ...Object.fromEntries(
      ['pause', 'resume', 'abort', 'approve', 'clear'].map((a) => [
        `rollout ${a}`,
        ['stable@abc', '--reason', 'r'],
      ]),
    ),
  };
  /** [flag, a command line with `@` where the value goes]. */
  const LINES: readonly (readonly [string, readonly string[]])[] = [
    ...COMMAND_TABLES.filter((t) => t.client).map(
      (t) =>
        [
          '--timeout',
          [...t.command.split(' '), ...(ARGS[t.command] ?? []), '--timeout', '@', ...client],
        ] as const,
    ),
    ['--interval', ['status', '--watch', '--interval', '@', ...client]],
    ['--interval', ['watch', '--interval', '@', ...client]],
    ['--interval', ['rollout', 'events', 'stable@abc', '--follow', '--interval', '@', ...client]],
    [
      '--validity',
      ['pki', 'init-ca', '--validity', '@', '--out-cert', `${T}/x/c`, '--out-key', `${T}/x/k`],
    ],
    [
      '--validity',
      [
        'pki',
        'server-cert',
        '--ca-cert',
        `${T}/none/c`,
        '--ca-key',
        `${T}/none/k`,
        '--validity',
        '@',
      ],
    ],
    [
      '--validity',
      [
        ...[
          'mint-operator-cert',
          '--name',
          'op',
          '--ca-cert',
          `${T}/none/c`,
          '--ca-key',
          `${T}/none/k`,
        ],
        ...['--out-cert', `${T}/x/o.pem`, '--out-key', `${T}/x/o.key`, '--validity', '@'],
      ],
    ],
    [
      '--validity',
      ['mint-token', '--hostname', 'web-01', '--org-root-key', `${T}/none/k`, '--validity', '@'],
    ],
    ['--validity', ['host', 'add', 'web-09', '--org-root-key', `${T}/none/k`, '--validity', '@']],
    [
      '--validity',
      [
        ...['pki', 'rotate-server-cert', '--ca-cert', `${T}/none/c`, '--ca-key', `${T}/none/k`],
        ...['--cert', `${T}/none/s.pem`, '--key', `${T}/none/s.key`, '--validity', '@'],
      ],
    ],
    ['--grace', ['trust', 'promote', 'org-root', '--trust', `${T}/none/t.json`, '--grace', '@']],
    ...(['artifact', 'revocations', 'bootstrap-nonces', 'rollout-manifest'] as const).flatMap(
      (doc) => {
        const manifest = doc === 'rollout-manifest' ? ['--rollout-id', 'stable@abc'] : [];
        const base = ['verify', doc, ...signed, ...manifest];
        return [
          ['--freshness-window-secs', [...base, '--freshness-window-secs', '@']],
          [
            '--clock-skew-slack-secs',
            [...base, '--freshness-window-secs', '1h', '--clock-skew-slack-secs', '@'],
          ],
        ] as const;
      },
    ),
    [
      '--clock-skew-slack-secs',
      [
        ...[
          'verify',
          'bootstrap-token',
          '--token',
          `${T}/none/t`,
          '--trust-file',
          `${T}/none/t.json`,
        ],
        ...['--clock-skew-slack-secs', '@'],
      ],
    ],
  ];

  async function cli(args: readonly string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const io: CliIo = {
      stdout: () => undefined,
      stderr: (t) => void (stderr += t),
      readStdin: async () => new Uint8Array(),
      readFile: async (p) => {
        throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      },
      now: () => new Date('2026-01-15T13:00:00Z'),
    };
    const code = await runCli(args, io, { env: { HOME: T, PATH: '' }, cwd: T, terminal: null });
    return { code, stderr };
  }

  /** The table command a line runs: the longest one its words start with. */
  const commandOf = (line: readonly string[]): string | undefined =>
    COMMAND_TABLES.map((t) => t.command)
      .filter((c) => c.split(' ').every((w, i) => line[i] === w))
      .sort((a, b) => b.length - a.length)[0];

  it('every duration flag of every command table has a line here', () => {
    const covered = new Set(LINES.map(([flag, line]) => `${commandOf(line)} ${flag}`));
    const rows = COMMAND_TABLES.flatMap((t) =>
      [...t.flags, ...(t.client ? [CLIENT_TIMEOUT] : [])]
        .filter((f) => f.type === 'duration')
        .map((f) => `${t.command} ${flagName(f)}`),
    );
    expect(rows.filter((r) => !covered.has(r))).toEqual([]);
  });

  describe.each(
    LINES.map(([flag, line]) => [`${line.slice(0, 2).join(' ')} ${flag}`, flag, line] as const),
  )('%s', (_, flag, line) => {
    it.each(REFUSED)(
      'refuses %j (%s) with CLI_ERR_USAGE before reading or connecting',
      async (text, reason) => {
        const r = await cli(line.map((a) => (a === '@' ? text : a)));
        expect(r.stderr).toContain(`CLI_ERR_USAGE: ${flag}: `);
        expect(r.stderr).toContain(
          {
            empty: 'is empty',
            negative: 'is negative',
            malformed: 'is not a duration',
            overflow: 'longer than 100 years',
          }[reason] as string,
        );
        expect(r.code).toBe(2);
      },
    );
  });
});
