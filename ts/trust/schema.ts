// The schema-validation step of every verifier. Shapes are declared once, in
// contracts/*.nix, and validated by ts/contracts; this adapter only maps that
// validator's result into ts/trust's result shape.
import {
  validateContract,
  type ContractName,
  type ContractTypes,
  type SchemaIssue,
} from '../contracts/index.ts';

/** Outcome of {@link checkContract}. */
export type ContractCheck<N extends ContractName> =
  | { readonly ok: true; readonly value: ContractTypes[N] }
  | { readonly ok: false; readonly issues: readonly SchemaIssue[] };

/**
 * Validates a value against a boundary contract's JSON Schema.
 *
 * @example
 *   const r = checkContract('revocations', value);
 */
export function checkContract<N extends ContractName>(name: N, value: unknown): ContractCheck<N> {
  const r = validateContract(name, value);
  return r.ok ? { ok: true, value: r.value } : { ok: false, issues: r.errors };
}
