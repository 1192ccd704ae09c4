// Runtime validation of every boundary shape against the JSON Schema generated
// from its Nix contract. Owns: loading each contract's validator (once, on
// first use), and turning ajv's errors into path-named issues in the same notation as the Nix
// validator (`hosts.web-01.channel`, `waves[0].selector`). Must never: accept
// a hand-written shape, or throw on bad input (bad input is a value).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { CONTRACT_NAMES, type ContractTypes } from './generated/index.ts';

/** Name of a contract (file name under contracts/, without `.nix`). */
export type ContractName = (typeof CONTRACT_NAMES)[number];

/** One schema violation, located by option path. */
export interface SchemaIssue {
  /** Path in Nix-validator notation; `(root)` for the document itself. */
  readonly path: string;
  readonly message: string;
}

/** Outcome of {@link validateContract}. */
export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errors: readonly SchemaIssue[] };

// The validators are ajv's standalone code, generated with the schemas by
// `npm run gen` (one CommonJS module per contract): a program loads the few
// it uses and never ajv's compiler, which was most of a CLI command's start
// (bench/startup.bench.ts). The production build copies the directory next
// to dist/ (scripts/build.mjs rewrites this URL).
const VALIDATORS = new URL('./generated/validators/', import.meta.url);
const load = createRequire(import.meta.url);
const loaded = new Map<ContractName, ValidateFunction>();

function validatorFor(name: ContractName): ValidateFunction {
  let fn = loaded.get(name);
  if (!fn) {
    // The name picks a file: never let anything but a contract's reach the path.
    if (!isContractName(name)) throw new Error(`no contract named ${JSON.stringify(name)}`);
    fn = load(fileURLToPath(new URL(`${name}.cjs`, VALIDATORS))) as ValidateFunction;
    loaded.set(name, fn);
  }
  return fn;
}

/**
 * Loads the validators of `names` now rather than on first use, so a server
 * does not meet the load (agent-event's is ~170 kB of code) inside a request.
 *
 * @example precompileContracts(['agent-event', 'heartbeat']);
 */
export function precompileContracts(names: Iterable<ContractName>): void {
  for (const name of names) validatorFor(name);
}

/** Contracts whose validator is loaded (for tests and diagnostics). */
export function compiledContracts(): ContractName[] {
  return [...loaded.keys()];
}

/** True when `name` is a known contract name. */
export function isContractName(name: string): name is ContractName {
  return (CONTRACT_NAMES as readonly string[]).includes(name);
}

/**
 * Validates `value` against the contract `name`. Unknown fields are accepted
 * where the contract is open (signed artifacts, wire bodies) and refused
 * where it is closed (mkFleet input, NixOS-side contracts).
 *
 * @example
 *   const r = validateContract('rollout-manifest', JSON.parse(text));
 *   if (!r.ok) for (const e of r.errors) console.error(`${e.path}: ${e.message}`);
 */
export function validateContract<N extends ContractName>(
  name: N,
  value: unknown,
): ValidationResult<ContractTypes[N]> {
  const fn = validatorFor(name);
  if (fn(value)) return { ok: true, value: value as ContractTypes[N] };
  return { ok: false, errors: toIssues(fn.errors ?? [], value) };
}

/** Formats issues one per line, as the CLI and logs print them. */
export function formatIssues(issues: readonly SchemaIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('\n');
}

function toIssues(errors: readonly ErrorObject[], value: unknown): SchemaIssue[] {
  // anyOf reports every branch's errors plus a summary; keep the summary and
  // the errors of branches that got furthest, to stay readable.
  const seen = new Set<string>();
  const out: SchemaIssue[] = [];
  for (const e of errors) {
    const segs = pointerSegments(e.instancePath);
    let message = e.message ?? 'invalid';
    if (e.keyword === 'required') {
      segs.push(String((e.params as { missingProperty: string }).missingProperty));
      message = 'required option is missing';
    } else if (e.keyword === 'additionalProperties') {
      segs.push(String((e.params as { additionalProperty: string }).additionalProperty));
      message = 'unknown option';
    } else if (e.keyword === 'pattern') {
      message = `does not match the pattern ${(e.params as { pattern: string }).pattern}`;
    } else if (e.keyword === 'enum') {
      message = `expected one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    }
    const issue = { path: formatPath(segs, value), message };
    const key = `${issue.path}\u0000${issue.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  }
  return out;
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Renders pointer segments as `a.b[0].c`, deciding index vs key from the data. */
function formatPath(segs: readonly string[], value: unknown): string {
  let out = '';
  let cur: unknown = value;
  for (const seg of segs) {
    if (Array.isArray(cur)) {
      out += `[${seg}]`;
      cur = cur[Number(seg)];
    } else {
      out += out === '' ? seg : `.${seg}`;
      cur =
        cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out === '' ? '(root)' : out;
}
