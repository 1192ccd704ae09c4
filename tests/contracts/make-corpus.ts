// Writes the contract conformance corpus: tests/contracts/corpus/<name>.json,
// one file per contract with valid documents and invalid ones (each invalid
// document names the option path its error must be reported at, by the Nix
// validator and by ajv alike). The documents live in corpus-src/, one file per
// contract family. Run once after changing a contract:
//   npx tsx tests/contracts/make-corpus.ts
// The conformance test reads the committed files; it never regenerates them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { operatorApi } from './corpus-src/api.ts';
import { artifacts } from './corpus-src/artifacts.ts';
import { audit } from './corpus-src/audit.ts';
import { harness } from './corpus-src/harness.ts';
import { nixosSide } from './corpus-src/nixos.ts';
import { wire } from './corpus-src/wire.ts';

const corpora = [...artifacts, ...wire, ...nixosSide, ...operatorApi, ...harness, ...audit];
const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'corpus');
mkdirSync(outDir, { recursive: true });
for (const c of corpora)
  writeFileSync(join(outDir, `${c.contract}.json`), `${JSON.stringify(c, null, 2)}\n`);
console.log(
  `corpus: wrote ${corpora.length} contracts, ${corpora.reduce((n, c) => n + c.valid.length + c.invalid.length, 0)} documents`,
);
