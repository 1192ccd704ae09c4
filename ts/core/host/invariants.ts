// State invariants of the host machine (RFC-0005 §3), as a pure checker used
// by the reducer's post-condition, the planner's defensive reads and the
// property tests. Must never repair a record: it only reports violations.
import { probeGateBlock } from './probes.ts';
import type { HostRolloutState } from './types.ts';

/**
 * Lists every invariant the record violates (empty when sound):
 * Converged ⇒ current == declared and every enforce probe passing since
 * activation; Reverted ⇒ current == reverted_to and current != declared;
 * timestamps of the states passed through are present.
 *
 * @example hostInvariantViolations(record).length === 0
 */
export function hostInvariantViolations(s: HostRolloutState): string[] {
  const out: string[] = [];
  switch (s.state) {
    case 'Converged': {
      if (s.currentClosure !== s.targetClosure) out.push('Converged but current != declared');
      const block = probeGateBlock(s);
      if (block !== null) out.push(`Converged but ${block.detail}`);
      if (s.convergedAt === null || s.activationCompletedAt === null) {
        out.push('Converged without activation/convergence timestamps');
      }
      break;
    }
    case 'Reverted':
      if (s.revertedTo === null || s.currentClosure !== s.revertedTo) {
        out.push('Reverted but current != reverted_to');
      }
      if (s.currentClosure === s.targetClosure) out.push('Reverted but current == declared');
      break;
    case 'Soaking':
      if (s.activationCompletedAt === null) out.push('Soaking without activation timestamp');
      break;
    case 'Activating':
      if (s.dispatchAckedAt === null) out.push('Activating without DispatchAck');
      break;
    case 'Failed':
      if (s.failedAt === null) out.push('Failed without failure timestamp');
      break;
    case 'Deferred':
      if (s.deferredAt === null) out.push('Deferred without deferral timestamp');
      break;
    case 'Pending':
      break;
  }
  if (s.soakDueAt < s.dispatchedAt) out.push('negative soak window');
  return out;
}
