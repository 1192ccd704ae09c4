// The same contract, two validators: the Nix interpreter (lib/schema, used at
// eval time by mkFleet and the release step) and ajv over the exported JSON
// Schema (used at runtime by the CP, agent and CLI). Every corpus document
// must get the same verdict from both, the expected one, and invalid documents
// must be reported at the same option path by both.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT_NAMES, isContractName, validateContract } from '../../ts/contracts/index.ts';
import { nixEvalExprJson } from '../../ts/nix/index.ts';

interface Doc {
  why: string;
  path?: string;
  doc: unknown;
}
interface Corpus {
  contract: string;
  valid: Doc[];
  invalid: Doc[];
}

const dir = join(import.meta.dirname, 'corpus');
const corpora: Corpus[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Corpus);

type NixVerdicts = Record<string, { valid: string[][]; invalid: string[][] }>;
let nix: NixVerdicts;

beforeAll(async () => {
  const file = join(import.meta.dirname, 'validate-corpus.nix');
  const r = await nixEvalExprJson<NixVerdicts>(`import ${file} {}`, { timeoutMs: 120_000 });
  if (!r.ok) throw new Error(`Nix validator failed: ${r.message}`);
  nix = r.value;
});

/** True when an error sits at `path` or below it. */
function at(path: string, errorPath: string): boolean {
  return errorPath === path || errorPath.startsWith(`${path}.`) || errorPath.startsWith(`${path}[`);
}

describe('contract conformance corpus', () => {
  it('covers every contract with ≥1 valid and ≥5 invalid documents', () => {
    expect(corpora.map((c) => c.contract).sort()).toEqual([...CONTRACT_NAMES].sort());
    for (const c of corpora) {
      expect(c.valid.length, c.contract).toBeGreaterThanOrEqual(1);
      expect(c.invalid.length, c.contract).toBeGreaterThanOrEqual(5);
    }
  });

  for (const c of corpora) {
    describe(c.contract, () => {
      it('Nix and ajv accept every valid document', () => {
        if (!isContractName(c.contract)) throw new Error(`unknown contract ${c.contract}`);
        c.valid.forEach((d, i) => {
          const ajv = validateContract(c.contract as never, d.doc);
          expect(ajv.ok ? [] : ajv.errors, `ajv: ${d.why}`).toEqual([]);
          expect(nix[c.contract]!.valid[i], `nix: ${d.why}`).toEqual([]);
        });
      });

      it('Nix and ajv reject every invalid document at the same path', () => {
        c.invalid.forEach((d, i) => {
          const ajv = validateContract(c.contract as never, d.doc);
          const nixErrors = nix[c.contract]!.invalid[i]!;
          expect(ajv.ok, `ajv accepted: ${d.why}`).toBe(false);
          expect(nixErrors.length, `nix accepted: ${d.why}`).toBeGreaterThan(0);
          if (ajv.ok) return;
          const nixPaths = nixErrors.map((e) => e.slice(0, e.indexOf(': ')));
          expect(
            ajv.errors.some((e) => at(d.path!, e.path)),
            `ajv error path for "${d.why}": want ${d.path}, got ${ajv.errors.map((e) => e.path).join(', ')}`,
          ).toBe(true);
          expect(
            nixPaths.some((p) => at(d.path!, p)),
            `nix error path for "${d.why}": want ${d.path}, got ${nixPaths.join(', ')}`,
          ).toBe(true);
        });
      });
    });
  }
});
