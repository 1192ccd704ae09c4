// docs/compliance.md's catalogue tables against lib/compliance, so the page
// cannot drift from the controls a release evaluates: every control has a
// row with its title and, per framework, exactly its articles ("—" where it
// does not belong); every control has a row naming the option paths its
// static side reads and its probe's command; and no row names a control the
// catalogue does not have.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

interface Declaration {
  readonly id: string;
  readonly title: string;
  readonly frameworks: Record<string, string[]>;
  readonly static: { readonly optionPaths: string[][] };
  readonly probe: { readonly command: string[] };
}

const declarations = JSON.parse(
  execFileSync(
    'nix-instantiate',
    ['--eval', '--strict', '--json', join(root, 'lib/compliance'), '-A', 'declarations'],
    { encoding: 'utf8' },
  ),
) as Record<string, Declaration>;
const frameworkNames = JSON.parse(
  execFileSync(
    'nix-instantiate',
    ['--eval', '--strict', '--json', join(root, 'lib/compliance'), '-A', 'frameworkNames'],
    { encoding: 'utf8' },
  ),
) as string[];

const doc = readFileSync(join(root, 'docs/compliance.md'), 'utf8');

/** The table whose header row starts with `| Control | <second> |`, as rows of cells. */
function table(second: string): { header: string[]; rows: Map<string, string[]> } {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| Control | ${second} |`));
  if (start < 0) throw new Error(`docs/compliance.md has no "| Control | ${second} |" table`);
  const cells = (l: string) =>
    l
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
  const header = cells(lines[start]!);
  const rows = new Map<string, string[]>();
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    const row = cells(l);
    rows.set(row[0]!.replace(/^`|`$/g, ''), row);
  }
  return { header, rows };
}

const mapping = table('Requires');
const sides = table('Static: NixOS options read');
const ids = Object.keys(declarations).sort();

describe('docs/compliance.md catalogue tables', () => {
  it('has one column per framework lib/compliance-frameworks.nix knows', () => {
    expect([...mapping.header.slice(2)].sort()).toEqual([...frameworkNames].sort());
  });

  it('lists exactly the catalogue controls, in both tables', () => {
    expect(ids.length).toBeGreaterThanOrEqual(12);
    expect([...mapping.rows.keys()].sort()).toEqual(ids);
    expect([...sides.rows.keys()].sort()).toEqual(ids);
  });

  it.each(ids)('%s: title and articles per framework as declared', (id) => {
    const d = declarations[id]!;
    const row = mapping.rows.get(id)!;
    expect(row[1]).toBe(d.title);
    mapping.header.slice(2).forEach((f, i) => {
      const articles = d.frameworks[f];
      expect(row[i + 2], `${id} under ${f}`).toBe(articles ? articles.join(', ') : '—');
    });
  });

  it.each(ids)('%s: the option paths it reads and its probe command', (id) => {
    const d = declarations[id]!;
    const row = sides.rows.get(id)!;
    const shown = (p: string[]) =>
      p.map((s) => (/^[A-Za-z_][A-Za-z0-9_'-]*$/.test(s) ? s : `"${s}"`)).join('.');
    for (const p of d.static.optionPaths) expect(row[1]).toContain(`\`${shown(p)}\``);
    const command = d.probe.command.join(' ').replace(/\|/g, '\\|');
    expect(row[2]).toContain(`\`${command}\``);
  });
});
