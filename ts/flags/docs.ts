// The docs' flag references, generated from the programs' flag tables
// (scripts/gen-flag-docs.ts writes them, tests/binaries/flag-tables.test.ts
// fails when a page is not current). Each block sits between markers that
// name it; the text around the markers is the page's own. Pure.
import { FLAGS as AGENT_FLAGS } from '../agent/config/flags.ts';
import { CLIENT_FLAGS } from '../cli/config/flags.ts';
import { COMMAND_TABLES } from '../cli/flags/index.ts';
import type { CommandFlags } from '../cli/flags/table.ts';
import { FLAGS as COMPLIANCE_FLAGS } from '../compliance/flags.ts';
import { FLAGS as CP_FLAGS } from '../cp/flags.ts';
import { flagName, renderFlagTable, typeText, type FlagSpec } from './spec.ts';

/** A program's flag table and the NixOS module that renders its flags. */
export interface Program {
  readonly name: string;
  readonly flags: readonly FlagSpec[];
  readonly module: string;
  /** The docs page holding the flag reference. */
  readonly page: string;
}

/**
 * The daemons' tables. Of `nixfleet`, the client table (the settings every
 * CP-facing command shares) goes to operators.md and each command's own
 * table to {@link CLI_REFERENCE_PAGE}.
 */
export const PROGRAMS: readonly Program[] = [
  {
    name: 'nixfleet-control-plane',
    flags: CP_FLAGS,
    module: 'services.nixfleet-control-plane',
    page: 'docs/control-plane.md',
  },
  {
    name: 'nixfleet-agent',
    flags: AGENT_FLAGS,
    module: 'services.nixfleet-agent',
    page: 'docs/agent.md',
  },
  {
    name: 'nixfleet-compliance-collect',
    flags: COMPLIANCE_FLAGS,
    module: 'services.nixfleet-compliance',
    page: 'docs/compliance.md',
  },
];

/** The page holding every `nixfleet` command's flag table. */
export const CLI_REFERENCE_PAGE = 'docs/cli-reference.md';

/** One command's section of the CLI reference: its heading and its table. */
function commandSection(t: CommandFlags): string {
  const client = t.client
    ? '\n\nAnd the CP-facing flags (`--config`, `--cp-url`, `--ca-cert`, `--client-cert`, `--client-key`, `--timeout`), [operators.md "Configuration"](operators.md#configuration).'
    : '';
  // Placeholders (`<host>`, `<channel>@<ref>`) would read as HTML tags.
  const html = (x: string): string => x.replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const rows = t.flags.map((f) => ({
    ...f,
    description: html(f.description),
    ...(f.defaultText === undefined ? {} : { defaultText: html(f.defaultText) }),
  }));
  const table = rows.length === 0 ? 'No flags.' : renderFlagTable(rows);
  return `### \`nixfleet ${t.command}\`\n\n${table}${client}`;
}

/** The page holding every module's "options passed as flags" table. */
export const MODULES_PAGE = 'docs/nixos-modules.md';

const begin = (id: string): string =>
  `<!-- BEGIN GENERATED ${id} (npm run gen:flags; edit the flag table, not this block) -->`;
const end = (id: string): string => `<!-- END GENERATED ${id} -->`;

/** The module options that render a flag, as nixos-modules.md lists them. */
function moduleTable(p: Program): string {
  const rows = p.flags
    .filter((f) => f.nixos !== undefined)
    .map(
      (f) =>
        `| \`${f.nixos}\` | \`${flagName(f)}\` | ${typeText(f)} | ${f.description.replace(/\|/g, '\\|')} |`,
    );
  return [
    `Options of \`${p.module}\` passed to \`${p.name}\` as flags (from its flag table):`,
    '',
    '| Option | Flag | Type | Meaning |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** Every generated block: its page, id and content. */
export function generatedBlocks(): { page: string; id: string; text: string }[] {
  return [
    ...PROGRAMS.map((p) => ({
      page: p.page,
      id: `flags: ${p.name}`,
      text: renderFlagTable(p.flags, {
        title: `NixOS option (\`${p.module}.\`)`,
        cell: (f) => f.nixos,
      }),
    })),
    {
      page: 'docs/operators.md',
      id: 'flags: nixfleet (CP-facing commands)',
      text: renderFlagTable(CLIENT_FLAGS, { title: '`config.toml` key', cell: (f) => f.configKey }),
    },
    {
      page: CLI_REFERENCE_PAGE,
      id: 'flags: nixfleet commands',
      text: COMMAND_TABLES.map(commandSection).join('\n\n'),
    },
    ...PROGRAMS.map((p) => ({
      page: MODULES_PAGE,
      id: `options: ${p.module}`,
      text: moduleTable(p),
    })),
  ];
}

/**
 * `page` with the block `id` replaced by `text`; throws when the page lacks
 * the markers (a block is placed by hand once, then kept by the generator).
 */
export function replaceBlock(page: string, id: string, text: string): string {
  const b = begin(id);
  const e = end(id);
  const i = page.indexOf(b);
  const j = page.indexOf(e);
  if (i < 0 || j < i) throw new Error(`no generated block "${id}" (markers ${b} … ${e})`);
  return `${page.slice(0, i)}${b}\n${text}\n${page.slice(j)}`;
}
