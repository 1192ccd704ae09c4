// Writes the flag references of docs/ from the programs' flag tables
// (ts/flags/docs.ts), or with --check fails (exit 1) naming each page that
// is not current.
//
//   npm run gen:flags            rewrite the generated blocks
//   npm run gen:flags -- --check fail when a block differs
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedBlocks, replaceBlock } from '../ts/flags/docs.ts';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');
const pages = new Map<string, string>();
for (const block of generatedBlocks()) {
  const text = pages.get(block.page) ?? readFileSync(join(root, block.page), 'utf8');
  pages.set(block.page, replaceBlock(text, block.id, block.text));
}
const stale: string[] = [];
for (const [page, text] of pages) {
  if (readFileSync(join(root, page), 'utf8') === text) continue;
  stale.push(page);
  if (!check) writeFileSync(join(root, page), text);
}
if (check && stale.length > 0) {
  process.stderr.write(`flag docs not current: ${stale.join(', ')}; run npm run gen:flags\n`);
  process.exit(1);
}
process.stdout.write(
  check ? 'flag docs current\n' : `flag docs: ${stale.length} page(s) written\n`,
);
